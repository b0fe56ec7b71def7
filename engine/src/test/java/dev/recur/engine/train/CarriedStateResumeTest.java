package dev.recur.engine.train;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.SequenceTagger;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A TBPTT run over a stream, stopped after a few chunks, saved (parameters, Adam, the carried
 * state and the stream position) and resumed into fresh objects, gives the uninterrupted run's
 * losses bit for bit; without the carried state it would not.
 */
class CarriedStateResumeTest {
    static final RecurrentConfig CONFIG = RecurrentConfig.of(CellMode.LSTM, 4, 6).withLayers(2);
    static final int VOCAB = 9, BATCH = 3, K1 = 6, K2 = 4, CHUNKS = 8, STOP_AFTER = 3;
    static final Kernels KERNELS = KernelProvider.defaultKernels();

    @TempDir
    Path dir;

    static int[] text() {
        SplittableRandom r = new SplittableRandom(17);
        int[] ids = new int[BATCH * (CHUNKS * K1 + 1) + 2];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(VOCAB);
        return ids;
    }

    static double chunk(SequenceTagger model, Adam adam, CarriedState state, TokenStream stream) {
        adam.zeroGrad();
        double loss = new TruncatedBptt(K1, K2).step(model, state, stream.next(K1), KERNELS).loss();
        GradientClipping.clipGradNorm(adam.parameters(), 1.0);
        adam.step();
        return loss;
    }

    static List<Parameter> withState(SequenceTagger model, CarriedState state) {
        List<Parameter> all = new ArrayList<>(model.parameters());
        all.addAll(state.checkpointEntries());
        return all;
    }

    @Test
    void aResumedRunContinuesExactly() throws Exception {
        List<Double> uninterrupted = new ArrayList<>();
        try (SequenceTagger model = new SequenceTagger(CONFIG, VOCAB, VOCAB, 0f, 1);
             Adam adam = new Adam(model.parameters(), Adam.Options.defaults().withLr(1e-2));
             CarriedState state = CarriedState.zeros(CONFIG, BATCH)) {
            TokenStream stream = new TokenStream(text(), BATCH);
            for (int k = 0; k < CHUNKS; k++) uninterrupted.add(chunk(model, adam, state, stream));
        }

        Path file = dir.resolve("tbptt.safetensors");
        try (SequenceTagger model = new SequenceTagger(CONFIG, VOCAB, VOCAB, 0f, 1);
             Adam adam = new Adam(model.parameters(), Adam.Options.defaults().withLr(1e-2));
             CarriedState state = CarriedState.zeros(CONFIG, BATCH)) {
            TokenStream stream = new TokenStream(text(), BATCH);
            for (int k = 0; k < STOP_AFTER; k++) assertThat(chunk(model, adam, state, stream)).isEqualTo(uninterrupted.get(k));
            Checkpoint.save(file, withState(model, state), adam, null, new Checkpoint.Info(Map.of("cell", "lstm"),
                    new Checkpoint.Progress(STOP_AFTER, 0, (long) STOP_AFTER * K1 * BATCH, Double.NaN), null,
                    Map.of("stream.position", Integer.toString(stream.position()))));
        }

        List<Double> resumed = new ArrayList<>();
        List<Double> resumedWithoutState = new ArrayList<>();
        for (boolean restoreState : new boolean[]{true, false}) {
            try (SequenceTagger model = new SequenceTagger(CONFIG, VOCAB, VOCAB, 0f, 99);
                 Adam adam = new Adam(model.parameters(), Adam.Options.defaults().withLr(1e-2));
                 CarriedState state = CarriedState.zeros(CONFIG, BATCH);
                 CarriedState scratch = CarriedState.zeros(CONFIG, BATCH)) {
                Checkpoint checkpoint = Checkpoint.read(file);
                assertThat(checkpoint.parameterNames()).contains("tbptt.h", "tbptt.c");
                // Without the carried state: the same file, its state read into a scratch object and dropped.
                checkpoint.restore(Map.of("cell", "lstm"), withState(model, restoreState ? state : scratch), adam,
                        (LRScheduler) null);
                TokenStream stream = new TokenStream(text(), BATCH);
                stream.seek(Integer.parseInt(checkpoint.task().get("stream.position")));
                for (int k = STOP_AFTER; k < CHUNKS; k++) {
                    (restoreState ? resumed : resumedWithoutState).add(chunk(model, adam, state, stream));
                }
            }
        }
        assertThat(resumed).containsExactlyElementsOf(uninterrupted.subList(STOP_AFTER, CHUNKS));
        assertThat(resumedWithoutState.getFirst()).isNotEqualTo(uninterrupted.get(STOP_AFTER));
    }

    @Test
    void stateDictRoundTripsIntoAFreshObject() {
        try (SequenceTagger model = new SequenceTagger(CONFIG, VOCAB, VOCAB, 0f, 1);
             CarriedState a = CarriedState.zeros(CONFIG, BATCH);
             CarriedState b = CarriedState.zeros(CONFIG, BATCH);
             TensorArena arena = TensorArena.open("export")) {
            TokenStream stream = new TokenStream(text(), BATCH);
            TruncatedBptt.evaluate(model, a, stream.next(K1), KERNELS);
            assertThat(a.stateDict().keySet()).containsExactly("h", "c");
            assertThat(a.h().shape()).containsExactly(2, BATCH, 6);
            Map<String, Tensor> exported = new java.util.LinkedHashMap<>();
            a.stateDict().forEach((k, v) -> exported.put(k, arena.copyOf(v)));
            b.loadStateDict(exported);
            var chunk = stream.next(K1);
            assertThat(TruncatedBptt.evaluate(model, b, chunk, KERNELS).loss())
                    .isEqualTo(TruncatedBptt.evaluate(model, a, chunk, KERNELS).loss());
            assertThat(b.h().toArray()).isEqualTo(a.h().toArray());
            assertThat(b.c().toArray()).isEqualTo(a.c().toArray());

            float[] before = b.h().toArray();
            assertThatThrownBy(() -> b.loadStateDict(Map.of("h", arena.zeros(2, BATCH, 6))))
                    .hasMessageContaining("expected [h, c]");
            assertThatThrownBy(() -> b.loadStateDict(Map.of("h", arena.zeros(2, BATCH, 6), "c", arena.zeros(1, BATCH, 6))))
                    .hasMessageContaining("'c' has shape [1, 3, 6], expected [2, 3, 6]");
            assertThat(b.h().toArray()).isEqualTo(before);
        }
        RecurrentConfig gru = RecurrentConfig.of(CellMode.GRU, 4, 6);
        try (CarriedState s = CarriedState.zeros(gru, 2)) {
            assertThat(s.stateDict().keySet()).containsExactly("h");
            assertThat(s.c()).isNull();
            assertThat(s.checkpointEntries().stream().map(Parameter::name)).containsExactly("tbptt.h");
        }
    }
}
