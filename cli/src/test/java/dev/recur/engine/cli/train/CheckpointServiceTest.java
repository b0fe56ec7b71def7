package dev.recur.engine.cli.train;

import dev.recur.engine.api.InferenceModel;
import dev.recur.engine.cli.CliRun;
import dev.recur.engine.data.TensorsDataset;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.OnnxTensorFiles;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.io.SafeTensorsWriter;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.recur.engine.cli.CliRun.recur;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A checkpoint that {@code recur train} wrote, loaded by a service through
 * {@link InferenceModel}: on the held-out samples its answers score what {@code recur eval} prints.
 */
class CheckpointServiceTest {
    @TempDir
    Path dir;

    /** eval's "val_<metric> V" as printed (%.5g): the held-out validation part. */
    private static double printed(String evalOut, String metric) {
        Matcher m = Pattern.compile(metric + " ([-0-9.e+]+)").matcher(evalOut);
        assertThat(m.find()).as(evalOut).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aTrainedClassifierAndRegressorAnswerAsRecurEvalScoresThem() throws Exception {
        for (String kind : new String[]{"classes", "values"}) {
            Path data = DatasetTasksTest.tensors(dir, kind + ".safetensors", 60, kind);
            Path out = dir.resolve("run-" + kind);
            CliRun run = recur("train", "--task", "tensors", "--data", data.toString(), "--hidden", "8", "--batch", "16",
                    "--steps", "6", "--bidirectional", "--out", out.toString());
            assertThat(run.exit()).as(run.err()).isZero();
            Path checkpoint = out.resolve(Trainer.CHECKPOINT);
            CliRun eval = recur("eval", "--checkpoint", checkpoint.toString());
            assertThat(eval.exit()).as(eval.err()).isZero();

            SafeTensorsFile file = SafeTensorsFile.read(data);
            int[] shape = file.shape("x");
            int steps = shape[1], features = shape[2];
            int[] heldOut = TensorsTask.split(data, TensorsDataset.load(data)).validation();
            float[] allX;
            try (TensorArena arena = TensorArena.open("x")) {
                allX = file.readFloat("x", arena).toArray();
            }
            long[] allLengths = file.readLongs("lengths");
            float[] x = new float[heldOut.length * steps * features];
            long[] lengths = new long[heldOut.length];
            for (int i = 0; i < heldOut.length; i++) {
                System.arraycopy(allX, heldOut[i] * steps * features, x, i * steps * features, steps * features);
                lengths[i] = allLengths[heldOut[i]];
            }
            try (InferenceModel model = InferenceModel.load(checkpoint)) {
                Map<String, OnnxTensor> answer = model.run(Map.of("x", OnnxTensor.ofFloats(x, heldOut.length, steps, features),
                        "lengths", OnnxTensor.ofInt64(lengths, heldOut.length)));
                // recur infer --model gives the same answers from files
                Path in = new SafeTensorsWriter().putF32("x", x, heldOut.length, steps, features)
                        .putI64("lengths", lengths, heldOut.length).write(dir.resolve(kind + "-in.safetensors"));
                Path answers = dir.resolve(kind + "-out.safetensors");
                CliRun infer = recur("infer", "--model", checkpoint.toString(), "--input", in.toString(), "--output", answers.toString());
                assertThat(infer.exit()).as(infer.err()).isZero();
                Map<String, OnnxTensor> written = OnnxTensorFiles.read(answers);
                assertThat(written.keySet()).containsExactlyInAnyOrderElementsOf(answer.keySet());
                for (String key : answer.keySet()) assertThat(written.get(key).floats()).containsExactly(answer.get(key).floats());
                // recur predict on the same file (x and lengths): the probabilities and their argmax, or the prediction.
                Path predicted = dir.resolve(kind + "-predicted.safetensors");
                CliRun predict = recur("predict", "--checkpoint", checkpoint.toString(), "--data", in.toString(),
                        "--output", predicted.toString());
                assertThat(predict.exit()).as(predict.err()).isZero();
                Map<String, OnnxTensor> predictions = OnnxTensorFiles.read(predicted);
                if (kind.equals("classes")) {
                    assertThat(predictions.keySet()).containsExactly("probabilities", "classes");
                    float[] p = answer.get("probabilities").floats();
                    assertThat(predictions.get("probabilities").floats()).containsExactly(p);
                    int classes = answer.get("probabilities").dim(1);
                    long[] argmax = predictions.get("classes").integers();
                    for (int i = 0; i < heldOut.length; i++) {
                        for (int c = 0; c < classes; c++) assertThat(p[i * classes + c]).isLessThanOrEqualTo(p[i * classes + (int) argmax[i]]);
                    }
                } else {
                    assertThat(predictions.keySet()).containsExactly("prediction");
                    assertThat(predictions.get("prediction").floats()).containsExactly(answer.get("prediction").floats());
                }
                if (kind.equals("classes")) {
                    long[] y = file.readLongs("y");
                    float[] p = answer.get("probabilities").floats();
                    int classes = answer.get("probabilities").dim(1), right = 0;
                    for (int i = 0; i < heldOut.length; i++) {
                        int best = 0;
                        for (int c = 1; c < classes; c++) if (p[i * classes + c] > p[i * classes + best]) best = c;
                        if (best == y[heldOut[i]]) right++;
                    }
                    assertThat(String.format(Locale.ROOT, "%.5g", (double) right / heldOut.length))
                            .isEqualTo(String.format(Locale.ROOT, "%.5g", printed(eval.out(), "val_accuracy")));
                } else {
                    float[] y;
                    try (TensorArena arena = TensorArena.open("y")) {
                        y = file.readFloat("y", arena).toArray();
                    }
                    float[] prediction = answer.get("prediction").floats();
                    double sum = 0;
                    for (int i = 0; i < heldOut.length; i++) sum += Math.pow(prediction[i] - y[heldOut[i]], 2);
                    assertThat(sum / heldOut.length).isCloseTo(printed(eval.out(), "val_mse"),
                            org.assertj.core.data.Percentage.withPercentage(0.01));
                }
            }
        }
    }

    @Test
    void inferRefusesAStateDictAsModelInOneLine() throws Exception {
        Path stateDict = new SafeTensorsWriter().putF32("weight_ih_l0", new float[12], 4, 3).write(dir.resolve("sd.safetensors"));
        Path in = new SafeTensorsWriter().putF32("x", new float[3], 1, 1, 3).write(dir.resolve("in.safetensors"));
        Path out = dir.resolve("out.safetensors");
        CliRun run = recur("infer", "--model", stateDict.toString(), "--input", in.toString(), "--output", out.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("sd.safetensors: expected an ONNX model (.onnx) or a checkpoint of recur train; "
                + "a PyTorch state_dict goes in --weights").hasLineCount(1);
        assertThat(out).doesNotExist();
    }

    @Test
    void aTrainedCharacterModelAndForecasterLoadWithTheirInputs() throws Exception {
        Path text = Files.writeString(dir.resolve("corpus.txt"), "the cat sat on the mat. ".repeat(80));
        Path chars = dir.resolve("chars");
        assertThat(recur("train", "--task", "chars", "--text", text.toString(), "--seq", "16", "--hidden", "8",
                "--batch", "4", "--steps", "2", "--out", chars.toString()).exit()).isZero();
        try (InferenceModel model = InferenceModel.load(chars.resolve(Trainer.CHECKPOINT))) {
            assertThat(model.inputs().getFirst().describe()).isEqualTo("int64 [B, T]");
            OnnxTensor p = model.run(Map.of("x", OnnxTensor.ofInt64(new long[]{0, 1, 2, 3, 4, 5}, 2, 3))).get("probabilities");
            assertThat(p.shape()).containsExactly(2, 3, (int) "the cat sat on the mat. ".chars().distinct().count());
        }

        StringBuilder csv = new StringBuilder("day,value\n");
        for (int i = 0; i < 300; i++) csv.append(i).append(',').append(400 + 5 * Math.sin(i / 4.0)).append('\n');
        Path series = Files.writeString(dir.resolve("series.csv"), csv);
        Path forecast = dir.resolve("forecast");
        assertThat(recur("train", "--task", "forecast", "--csv", series.toString(), "--column", "value", "--window", "20",
                "--hidden", "8", "--steps", "3", "--out", forecast.toString()).exit()).isZero();
        try (InferenceModel model = InferenceModel.load(forecast.resolve(Trainer.CHECKPOINT))) {
            float[] window = new float[20];
            for (int i = 0; i < 20; i++) window[i] = (float) (400 + 5 * Math.sin((280 + i) / 4.0));
            float[] next = model.run(Map.of("x", OnnxTensor.ofFloats(window, 1, 20, 1))).get("prediction").floats();
            assertThat(next).hasSize(7);
            // In the series' units (around 400), not the normalised ones the model computes in.
            for (float v : next) assertThat(v).isBetween(350f, 450f);
        }
    }
}
