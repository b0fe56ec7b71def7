package dev.recur.engine.cli.train;

import dev.recur.engine.cli.UserError;
import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.nn.Module;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.train.Checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code recur train --init FILE}: a model's starting weights from a safetensors file, which may be
 * <ul>
 * <li>a Recur checkpoint or any file with the model's own names ({@code rnn.weight_ih_l0},
 *     {@code head.weight}, ...): every tensor it holds is loaded, and it must hold at least the whole
 *     recurrent stack;</li>
 * <li>a PyTorch {@code nn.LSTM / nn.GRU / nn.RNN} {@code state_dict()} ({@code weight_ih_l0}, ... without
 *     the {@code rnn.} prefix): loaded into the recurrent stack, the head keeps its initialisation.</li>
 * </ul>
 * Shapes must match exactly; a tensor the model lacks, or a missing recurrent tensor, is a one-line
 * error and nothing is changed. The optimizer's state in a checkpoint is ignored.
 */
final class InitialWeights {
    static final String RNN_PREFIX = "rnn.";

    private InitialWeights() {
    }

    /** Loads {@code file} into {@code model}; returns one line saying what was loaded. */
    static String load(Path file, Module model) throws IOException {
        DataFileException.requireFile(file, "--init weights");
        SafeTensorsFile st = SafeTensorsFile.read(file);
        List<String> names = st.names().stream().filter(n -> !n.startsWith(Checkpoint.OPTIMIZER_PREFIX)).toList();
        Map<String, Parameter> byName = new LinkedHashMap<>();
        for (Parameter p : model.parameters()) byName.put(p.name(), p);
        boolean prefixed = names.stream().anyMatch(byName::containsKey);
        // The parameters to load, named as in the file.
        List<Parameter> targets = new ArrayList<>();
        for (String name : names) {
            Parameter p = byName.get(prefixed ? name : RNN_PREFIX + name);
            if (p == null) {
                throw new UserError(file + ": key '" + name + "' is not a parameter of this model"
                        + (prefixed ? "" : " (read as " + RNN_PREFIX + name + ")") + ", expected "
                        + (prefixed ? "names among " : "a PyTorch state_dict of the recurrent layers, ")
                        + byName.keySet().stream().filter(n -> prefixed || n.startsWith(RNN_PREFIX))
                                .map(n -> prefixed ? n : n.substring(RNN_PREFIX.length())).toList()
                        + " (a model of another architecture?)");
            }
            targets.add(prefixed ? p : new Parameter(name, p.value(), p.grad()));
        }
        Set<String> loaded = new HashSet<>();
        for (String name : names) loaded.add(prefixed ? name : RNN_PREFIX + name);
        for (String name : byName.keySet()) {
            if (name.startsWith(RNN_PREFIX) && !loaded.contains(name)) {
                throw new UserError(file + ": key '" + (prefixed ? name : name.substring(RNN_PREFIX.length()))
                        + "' is missing, expected a tensor of shape " + Arrays.toString(byName.get(name).shape())
                        + " (a model of another architecture?)");
            }
        }
        Checkpoint.loadParameters(file, targets); // checks every shape before it changes anything
        List<String> kept = byName.keySet().stream().filter(n -> !loaded.contains(n)).toList();
        return "--init " + file + ": loaded " + names.size() + " tensors"
                + (prefixed ? "" : " of a PyTorch state_dict into the recurrent layers (" + RNN_PREFIX + "*)")
                + (kept.isEmpty() ? "" : "; initialised at random: " + String.join(", ", kept));
    }
}
