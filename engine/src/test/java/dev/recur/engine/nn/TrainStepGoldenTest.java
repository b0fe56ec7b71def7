package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import dev.recur.engine.train.Adam;
import dev.recur.engine.train.GradientClipping;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A whole training step of a 2-layer LSTM classifier (forward over unequal lengths with NaN in the
 * padding, cross-entropy, backward, clip_grad_norm 1.0, Adam 1e-2) against PyTorch, 3 steps
 * (fixture: golden/train/lstm_classifier_adam.safetensors, made by make_train_step_golden.py).
 */
class TrainStepGoldenTest {
    static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"vector", "naive"})
    void threeStepsMatchPyTorch(String kernelsName) throws Exception {
        Kernels kernels = KernelProvider.byName(kernelsName);
        SafeTensorsFile f = SafeTensorsFile.read(Path.of(getClass().getResource("/golden/train/lstm_classifier_adam.safetensors").toURI()));
        assertThat(f.metadata()).containsEntry("format", "recur-train-golden-v1");
        int input = Integer.parseInt(f.metadata().get("input_size")), hidden = Integer.parseInt(f.metadata().get("hidden_size"));
        int layers = Integer.parseInt(f.metadata().get("num_layers")), classes = Integer.parseInt(f.metadata().get("classes"));
        int steps = Integer.parseInt(f.metadata().get("steps"));
        List<String> names = List.of(f.metadata().get("parameters").split(","));
        RecurrentConfig config = RecurrentConfig.of(CellMode.LSTM, input, hidden).withLayers(layers);
        double worst = 0, worstLoss = 0, worstGrad = 0;
        try (SequenceClassifier model = new SequenceClassifier(config, classes, 1);
             TensorArena arena = TensorArena.open("golden")) {
            // Recur's names are PyTorch's named_parameters() names, in the same order.
            assertThat(model.parameters().stream().map(Parameter::name).toList()).isEqualTo(names);
            for (String n : names) model.parameter(n).value().copyFrom(f.readFloat("param." + n, arena));
            try (Adam adam = new Adam(model.parameters(), Adam.Options.defaults().withLr(Double.parseDouble(f.metadata().get("lr"))))) {
                for (int k = 0; k < steps; k++) {
                    Tensor x = f.readFloat("in." + k + ".x", arena);
                    int[] lengths = toInts(f.readLongs("in." + k + ".lengths"));
                    int[] targets = toInts(f.readLongs("in." + k + ".targets"));
                    model.zeroGrad();
                    double lossValue;
                    try (Graph g = Graph.training(kernels)) {
                        Var logits = model.forward(g, g.constant(x), lengths);
                        Var loss = SequenceClassifier.loss(logits, targets);
                        g.backward(loss);
                        lossValue = loss.value().get(0);
                    }
                    if (k == 0) {
                        for (String n : names) {
                            double e = RelativeError.l2(model.parameter(n).grad().toArray(), f.readDoubles("grad.0." + n));
                            assertThat(e).as("gradient of %s at step 0 (%s)", n, kernelsName).isLessThan(1e-5);
                            worstGrad = Math.max(worstGrad, e);
                        }
                    }
                    double norm = GradientClipping.clipGradNorm(model.parameters(), Double.parseDouble(f.metadata().get("max_norm")));
                    adam.step();
                    double refLoss = f.readDoubles("out." + k + ".loss")[0], refNorm = f.readDoubles("out." + k + ".norm")[0];
                    assertThat(Math.abs(lossValue - refLoss) / refLoss).as("loss at step %d", k).isLessThan(1e-5);
                    assertThat(Math.abs(norm - refNorm) / refNorm).as("gradient norm at step %d", k).isLessThan(1e-4);
                    worstLoss = Math.max(worstLoss, Math.abs(lossValue - refLoss) / refLoss);
                    for (String n : names) {
                        float[] actual = model.parameter(n).value().toArray();
                        double e32 = RelativeError.l2(actual, f.readFloat("expected." + k + "." + n, arena).toArray());
                        double e64 = RelativeError.l2(actual, f.readDoubles("expected64." + k + "." + n));
                        assertThat(e32).as("%s after step %d vs torch float32 (%s)", n, k, kernelsName).isLessThanOrEqualTo(TOLERANCE);
                        assertThat(e64).as("%s after step %d vs torch float64 (%s)", n, k, kernelsName).isLessThanOrEqualTo(TOLERANCE);
                        worst = Math.max(worst, Math.max(e32, e64));
                    }
                }
            }
        }
        System.out.printf("train step golden (%s): worst parameter rel L2 %.2e, step-0 gradient %.2e, loss %.2e%n",
                kernelsName, worst, worstGrad, worstLoss);
    }

    /** Embedding -> 2-layer bidirectional GRU -> time-distributed Linear, loss over valid steps: every gradient vs torch (float64). */
    @ParameterizedTest
    @ValueSource(strings = {"vector", "naive"})
    void taggerLossAndGradientsMatchPyTorch(String kernelsName) throws Exception {
        Kernels kernels = KernelProvider.byName(kernelsName);
        SafeTensorsFile f = SafeTensorsFile.read(Path.of(getClass().getResource("/golden/train/gru_tagger_grads.safetensors").toURI()));
        var meta = f.metadata();
        int vocab = Integer.parseInt(meta.get("vocabulary")), emb = Integer.parseInt(meta.get("embedding_dim"));
        int hidden = Integer.parseInt(meta.get("hidden_size")), classes = Integer.parseInt(meta.get("classes"));
        List<String> names = List.of(meta.get("parameters").split(","));
        RecurrentConfig config = RecurrentConfig.of(CellMode.GRU, emb, hidden)
                .withLayers(Integer.parseInt(meta.get("num_layers"))).withBidirectional(true);
        int[] shape = f.shape("in.tokens");
        int steps = shape[0], batch = shape[1];
        int[] tokens = toInts(f.readLongs("in.tokens")), targets = toInts(f.readLongs("in.targets")), lengths = toInts(f.readLongs("in.lengths"));
        try (SequenceTagger model = new SequenceTagger(config, vocab, classes, 0f, 1); TensorArena arena = TensorArena.open("golden");
             Graph g = Graph.training(kernels)) {
            assertThat(model.parameters().stream().map(Parameter::name).toList()).isEqualTo(names);
            for (String n : names) model.parameter(n).value().copyFrom(f.readFloat("param." + n, arena));
            Var logits = model.forward(g, tokens, steps, batch, lengths);
            Var loss = SequenceTagger.loss(logits, targets, lengths);
            g.backward(loss);
            double eLogits = RelativeError.l2(logits.value().toArray(), f.readDoubles("out.logits"));
            double refLoss = f.readDoubles("out.loss")[0];
            assertThat(eLogits).as("logits (zero-padded output into the head, as torch)").isLessThan(1e-5);
            assertThat(Math.abs(loss.value().get(0) - refLoss) / refLoss).isLessThan(1e-5);
            double worst = 0;
            for (String n : names) {
                double e = RelativeError.l2(model.parameter(n).grad().toArray(), f.readDoubles("grad." + n));
                assertThat(e).as("gradient of %s (%s)", n, kernelsName).isLessThan(1e-5);
                worst = Math.max(worst, e);
            }
            System.out.printf("tagger golden (%s): logits %.2e, worst gradient rel L2 %.2e%n", kernelsName, eLogits, worst);
        }
    }

    static int[] toInts(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Math.toIntExact(v[i]);
        return out;
    }
}
