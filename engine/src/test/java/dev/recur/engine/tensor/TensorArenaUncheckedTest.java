package dev.recur.engine.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An unchecked arena holds tensors like a checked one and frees them at close; closing twice or allocating after close still throws. */
class TensorArenaUncheckedTest {

    @Test
    void holdsTensorsAndFreesThemOnce() {
        TensorArena arena = TensorArena.openUnchecked("scratch");
        Tensor t = arena.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor z = arena.zeros(513);
        assertThat(t.toArray()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(z.toArray()).containsOnly(0f);
        assertThat(t.data().address() % TensorArena.ALIGNMENT).isZero();
        assertThat(arena.isOpen()).isTrue();
        arena.close();
        assertThat(arena.isOpen()).isFalse();
        assertThatThrownBy(arena::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("scratch");
        assertThatThrownBy(() -> arena.empty(3)).isInstanceOf(IllegalStateException.class).hasMessageContaining("scratch");
    }

    @Test
    void aCheckedArenaStillRefusesATensorAfterClose() {
        TensorArena arena = TensorArena.open("checked");
        Tensor t = arena.empty(4);
        arena.close();
        assertThatThrownBy(() -> t.get(0)).isInstanceOf(IllegalStateException.class);
    }
}
