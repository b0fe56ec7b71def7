package dev.recur.engine.onnx;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.OnnxTensorFiles;
import dev.recur.engine.tensor.RelativeError;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One golden case of the ONNX suites: {@code stem.onnx} run on {@code stem.inputs.safetensors}
 * against {@code stem.expected.safetensors} (ONNX Runtime's outputs): the same output names, shapes
 * and types, float outputs within a relative L2 of 1e-4 (each error printed), integers exactly.
 */
final class OnnxGolden {
    static final double TOLERANCE = 1e-4;

    private OnnxGolden() {
    }

    static void assertMatches(Path dir, String stem) throws Exception {
        assertMatches(dir, stem, KernelProvider.defaultKernels());
    }

    /** As above, the model loaded on {@code kernels} (the naive twins: the reference paths). */
    static void assertMatches(Path dir, String stem, Kernels kernels) throws Exception {
        Map<String, OnnxTensor> inputs = OnnxTensorFiles.read(dir.resolve(stem + ".inputs.safetensors"));
        Map<String, OnnxTensor> expected = OnnxTensorFiles.read(dir.resolve(stem + ".expected.safetensors"));
        try (OnnxModel model = OnnxModel.load(dir.resolve(stem + ".onnx"), kernels)) {
            Map<String, OnnxTensor> actual = model.run(inputs);
            assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());   // safetensors sorts its keys
            for (String output : expected.keySet()) {
                OnnxTensor want = expected.get(output), got = actual.get(output);
                String what = dir.getFileName() + "/" + stem + " " + output + " (" + kernels.name() + ")";
                assertThat(got.shape()).as(what + " shape").containsExactly(want.shape());
                assertThat(got.type()).as(what + " type").isEqualTo(want.type());
                if (want.type() == OnnxTensor.Type.FLOAT) {
                    double error = RelativeError.l2(got.floats(), want.floats());
                    System.out.printf("onnx golden %s: relative L2 %.2e%n", what, error);
                    assertThat(error).as(what + " relative L2 against ONNX Runtime").isLessThanOrEqualTo(TOLERANCE);
                } else {
                    assertThat(got.integers()).as(what).containsExactly(want.integers());
                }
            }
        }
    }
}
