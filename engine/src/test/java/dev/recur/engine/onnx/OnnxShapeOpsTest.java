package dev.recur.engine.onnx;

import dev.recur.engine.io.OnnxTensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

class OnnxShapeOpsTest {

    /** Every permutation of a rank-4 tensor with unit axes, against an element-by-element transpose. */
    @Test
    void transposeMatchesElementByElementForEveryPermutation() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int[] shape : new int[][]{{3, 1, 4, 5}, {1, 2, 1, 3}, {2, 3, 4, 5}, {1, 1, 1, 1}}) {
            float[] data = new float[(int) OnnxTensor.elements(shape)];
            for (int i = 0; i < data.length; i++) data[i] = (float) rng.nextDouble(-1, 1);
            OnnxTensor x = OnnxTensor.ofFloats(data, shape);
            for (int[] perm : permutations(4)) {
                long[] p = {perm[0], perm[1], perm[2], perm[3]};
                OnnxTensor got = OnnxShapeOps.transpose(x, p);
                int[] outShape = {shape[perm[0]], shape[perm[1]], shape[perm[2]], shape[perm[3]]};
                assertArrayEquals(outShape, got.shape());
                assertArrayEquals(naiveTranspose(data, shape, perm), got.floats(), "perm " + Arrays.toString(perm)
                        + " of " + Arrays.toString(shape));
            }
        }
    }

    /** [T, 1, B, H] -> [T, B, 1, H] (the dynamo exporter, after a one-direction LSTM) moves no element: no copy. */
    @Test
    void transposeThatMovesOnlyUnitAxesSharesTheArray() {
        OnnxTensor y = OnnxTensor.ofFloats(new float[3 * 4 * 5], 3, 1, 4, 5);
        assertSame(y.floats(), OnnxShapeOps.transpose(y, new long[]{0, 2, 1, 3}).floats());
        assertNotSame(y.floats(), OnnxShapeOps.transpose(y, new long[]{2, 1, 0, 3}).floats());
    }

    private static float[] naiveTranspose(float[] data, int[] shape, int[] perm) {
        int[] out = {shape[perm[0]], shape[perm[1]], shape[perm[2]], shape[perm[3]]};
        float[] result = new float[data.length];
        int[] idx = new int[4], src = new int[4];
        for (int o = 0; o < result.length; o++) {
            int rest = o;
            for (int a = 3; a >= 0; a--) {
                idx[a] = rest % out[a];
                rest /= out[a];
            }
            for (int a = 0; a < 4; a++) src[perm[a]] = idx[a];
            int at = ((src[0] * shape[1] + src[1]) * shape[2] + src[2]) * shape[3] + src[3];
            result[o] = data[at];
        }
        return result;
    }

    private static List<int[]> permutations(int n) {
        List<int[]> out = new ArrayList<>();
        permute(new int[n], new boolean[n], 0, out);
        return out;
    }

    private static void permute(int[] p, boolean[] used, int at, List<int[]> out) {
        if (at == p.length) {
            out.add(p.clone());
            return;
        }
        for (int v = 0; v < p.length; v++) {
            if (used[v]) continue;
            used[v] = true;
            p[at] = v;
            permute(p, used, at + 1, out);
            used[v] = false;
        }
    }
}
