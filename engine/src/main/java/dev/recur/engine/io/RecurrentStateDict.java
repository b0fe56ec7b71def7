package dev.recur.engine.io;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.RecurrentParameter;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static dev.recur.engine.nn.RecurrentParameter.BIAS_IH;
import static dev.recur.engine.nn.RecurrentParameter.WEIGHT_HH;
import static dev.recur.engine.nn.RecurrentParameter.WEIGHT_HR;
import static dev.recur.engine.nn.RecurrentParameter.WEIGHT_IH;

/**
 * Reads and writes an nn.RNN / nn.GRU / nn.LSTM {@code state_dict()} saved with safetensors.
 * The architecture is read from the key names and shapes; the mode and batch_first from the
 * {@code __metadata__} keys {@code mode} and {@code batch_first} when present, else from the
 * caller's hints (rnn defaults to tanh, batch_first to false, as in PyTorch).
 */
public final class RecurrentStateDict {
    private RecurrentStateDict() {
    }

    /**
     * The configuration the tensors under {@code prefix} describe. {@code modeHint} (may be null)
     * is used when the metadata has no mode; {@code batchFirstHint} likewise.
     */
    public static RecurrentConfig inferConfig(SafeTensorsFile file, String prefix, CellMode modeHint,
                                              boolean batchFirstHint) throws SafeTensorsException {
        Path path = file.path();
        int maxLayer = -1;
        boolean reverse = false;
        for (String name : file.names()) {
            if (!name.startsWith(prefix)) continue;
            RecurrentParameter.Key key = RecurrentParameter.parse(name.substring(prefix.length()));
            if (key == null) {
                throw new SafeTensorsException(path, name, "is not a parameter of nn.RNN/GRU/LSTM "
                        + "(expected " + RecurrentParameter.EXPECTED_FORM + ")");
            }
            maxLayer = Math.max(maxLayer, key.layer());
            reverse |= key.reverse();
        }
        if (maxLayer < 0) {
            throw new SafeTensorsException(path, prefix + WEIGHT_IH.name(0, 0),
                    "is missing: no recurrent-layer tensors in the file");
        }
        String wIh = prefix + WEIGHT_IH.name(0, 0), wHh = prefix + WEIGHT_HH.name(0, 0), wHr = prefix + WEIGHT_HR.name(0, 0);
        int[] ih = rank2(file, wIh), hh = rank2(file, wHh);
        boolean proj = file.contains(wHr);
        int hidden = proj ? rank2(file, wHr)[1] : hh[1];
        int projSize = proj ? rank2(file, wHr)[0] : 0;
        if (hh[0] % hidden != 0) {
            throw new SafeTensorsException(path, wHh, "has " + hh[0] + " rows, not a multiple of hidden size " + hidden);
        }
        int gates = hh[0] / hidden;
        String metaMode = file.metadata().get("mode");
        CellMode mode = switch (gates) {
            case 4 -> CellMode.LSTM;
            case 3 -> CellMode.GRU;
            case 1 -> {
                String wanted = metaMode != null ? metaMode : modeHint != null ? modeHint.id() : "rnn_tanh";
                yield wanted.equals("rnn_relu") ? CellMode.RNN_RELU : CellMode.RNN_TANH;
            }
            default -> throw new SafeTensorsException(path, wHh, "has " + hh[0] + " rows = " + gates
                    + " x hidden size " + hidden + "; expected 1 (rnn), 3 (gru) or 4 (lstm) gates");
        };
        String declared = metaMode != null ? metaMode : modeHint != null ? modeHint.id() : null;
        if (declared != null) {
            CellMode d;
            try {
                d = CellMode.parse(declared);
            } catch (IllegalArgumentException e) {
                throw new SafeTensorsException(path, "__metadata__", "mode '" + declared + "' is unknown: "
                        + "expected lstm, gru, rnn_tanh or rnn_relu");
            }
            if (d.gates() != mode.gates()) {
                throw new SafeTensorsException(path, wHh, "has " + gates + " gate(s), which is " + mode
                        + ", but the mode is '" + declared + "'" + (metaMode != null ? " (metadata)" : " (--mode)"));
            }
        }
        String bf = file.metadata().get("batch_first");
        boolean batchFirst = batchFirstHint;
        if (bf != null) {
            if (!bf.equals("true") && !bf.equals("false")) {
                throw new SafeTensorsException(path, "__metadata__", "batch_first is '" + bf + "', expected \"true\" or \"false\"");
            }
            batchFirst = bf.equals("true");
        }
        boolean bias = file.contains(prefix + BIAS_IH.name(0, 0));
        RecurrentConfig config;
        try {
            config = RecurrentConfig.of(mode, ih[1], hidden).withLayers(maxLayer + 1).withBidirectional(reverse)
                    .withBias(bias).withBatchFirst(batchFirst).withProjSize(projSize);
        } catch (IllegalArgumentException e) {
            throw new SafeTensorsException(path, null, "describes no valid " + mode + ": " + e.getMessage());
        }
        checkKeys(file, prefix, config);
        return config;
    }

    /** Every expected key present with PyTorch's shape, and nothing else under the prefix. */
    private static void checkKeys(SafeTensorsFile file, String prefix, RecurrentConfig config) throws SafeTensorsException {
        Set<String> expected = new HashSet<>();
        for (Recurrent.ParameterSpec spec : Recurrent.parameterSpecs(config)) {
            String key = prefix + spec.name();
            expected.add(key);
            if (!file.contains(key)) {
                throw new SafeTensorsException(file.path(), key, "is missing (expected by a " + config.numLayers()
                        + "-layer" + (config.bidirectional() ? " bidirectional" : "") + " " + config.mode()
                        + (config.bias() ? " with bias" : " without bias") + ")");
            }
            file.requireFloat(key);
            file.requireShape(key, spec.shape());
        }
        for (String name : file.names()) {
            if (name.startsWith(prefix) && !expected.contains(name)) {
                throw new SafeTensorsException(file.path(), name, "is unexpected for a " + config.numLayers()
                        + "-layer" + (config.bidirectional() ? " bidirectional" : "") + " " + config.mode()
                        + (config.bias() ? " with bias" : " without bias"));
            }
        }
    }

    private static int[] rank2(SafeTensorsFile file, String key) throws SafeTensorsException {
        int[] s = file.shape(key);
        if (s.length != 2) {
            throw new SafeTensorsException(file.path(), key, "has shape " + Arrays.toString(s) + ", expected a matrix");
        }
        return s;
    }

    /** A model built from the tensors under {@code prefix}. */
    public static Recurrent load(SafeTensorsFile file, String prefix, CellMode modeHint, boolean batchFirstHint)
            throws IOException {
        RecurrentConfig config = inferConfig(file, prefix, modeHint, batchFirstHint);
        Recurrent model = Recurrent.zeros(config);
        try (TensorArena scratch = TensorArena.open("state_dict load")) {
            for (Parameter p : model.parameters()) {
                Tensor t = file.readFloat(prefix + p.name(), scratch);
                p.value().copyFrom(t);
            }
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /** Adds the model's parameters under their PyTorch names, and its mode and batch_first as metadata. */
    public static SafeTensorsWriter addTo(SafeTensorsWriter writer, Recurrent model, String prefix) {
        for (Parameter p : model.parameters()) writer.put(prefix + p.name(), p.value());
        writer.metadata("mode", model.config().mode().id());
        writer.metadata("batch_first", Boolean.toString(model.config().batchFirst()));
        return writer;
    }
}
