package dev.recur.engine.train;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.SequenceTagger;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * TBPTT(k1 = 7, k2 = 3) of a 2-layer LSTM char model over one stream, chunks of 7, 7 and 4 steps
 * with SGD between them, against PyTorch's detach idiom (fixture
 * golden/train/tbptt_lstm_lm.safetensors, made by make_tbptt_golden.py in float64): every
 * chunk's differentiated loss, whole-chunk cross-entropy, gradients and carried state.
 */
class TruncatedBpttGoldenTest {
    static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"vector", "naive"})
    void matchesPyTorchDetach(String kernelsName) throws Exception {
        Kernels kernels = KernelProvider.byName(kernelsName);
        SafeTensorsFile f = SafeTensorsFile.read(Path.of(getClass().getResource("/golden/train/tbptt_lstm_lm.safetensors").toURI()));
        assertThat(f.metadata()).containsEntry("format", "recur-tbptt-golden-v1");
        int vocab = meta(f, "vocabulary"), embed = meta(f, "embedding_dim"), hidden = meta(f, "hidden_size");
        int layers = meta(f, "num_layers"), batch = meta(f, "batch"), k1 = meta(f, "k1"), k2 = meta(f, "k2");
        int chunks = meta(f, "chunks");
        List<String> names = List.of(f.metadata().get("parameters").split(","));
        RecurrentConfig config = RecurrentConfig.of(CellMode.LSTM, embed, hidden).withLayers(layers);
        try (SequenceTagger model = new SequenceTagger(config, vocab, vocab, 0f, 1);
             CarriedState state = CarriedState.zeros(config, batch);
             TensorArena arena = TensorArena.open("golden");
             SGD sgd = new SGD(model.parameters(), SGD.Options.defaults().withLr(Double.parseDouble(f.metadata().get("lr"))))) {
            assertThat(model.parameters().stream().map(Parameter::name).toList()).isEqualTo(names);
            for (String n : names) model.parameter(n).value().copyFrom(f.readFloat("param." + n, arena));
            int[] ids = Arrays.stream(f.readLongs("in.ids")).mapToInt(Math::toIntExact).toArray();
            TokenStream stream = new TokenStream(ids, batch);
            TruncatedBptt tbptt = new TruncatedBptt(k1, k2);
            assertThat(stream.chunksPerPass(k1)).isEqualTo(chunks);
            for (int k = 0; k < chunks; k++) {
                long[] steps = f.readLongs("out." + k + ".steps");
                sgd.zeroGrad();
                TruncatedBptt.Result r = tbptt.step(model, state, stream.next(k1), kernels);
                assertThat(r.predictions()).isEqualTo(steps[0] * batch);
                assertThat(r.differentiatedSteps()).isEqualTo((int) steps[1]);
                double loss = f.readDoubles("out." + k + ".loss")[0], sum = f.readDoubles("out." + k + ".ce_sum")[0];
                assertThat(r.loss()).as("loss of chunk %d", k).isCloseTo(loss, within(1e-5 * loss));
                assertThat(r.crossEntropySum()).as("cross-entropy of chunk %d", k).isCloseTo(sum, within(1e-5 * sum));
                for (String n : names) {
                    assertThat(RelativeError.l2(model.parameter(n).grad().toArray(), f.readDoubles("grad." + k + "." + n)))
                            .as("gradient of %s, chunk %d", n, k).isLessThan(TOLERANCE);
                }
                assertThat(RelativeError.l2(state.h().toArray(), f.readDoubles("out." + k + ".h"))).isLessThan(TOLERANCE);
                assertThat(RelativeError.l2(state.c().toArray(), f.readDoubles("out." + k + ".c"))).isLessThan(TOLERANCE);
                sgd.step();
            }
            assertThat(stream.hasNext()).isFalse();
        }
    }

    private static int meta(SafeTensorsFile f, String key) {
        return Integer.parseInt(f.metadata().get(key));
    }
}
