package dev.recur.engine.cli.train;

import dev.recur.engine.nn.RecurrentConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/** The checkpoint's {@code model.*} description of a task's model: the recurrent stack plus the head's facts. */
final class TaskConfigs {
    private TaskConfigs() {
    }

    static Map<String, String> recurrent(RecurrentConfig c, Map<String, String> head) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("cell", c.mode().id());
        out.put("input", Integer.toString(c.inputSize()));
        out.put("hidden", Integer.toString(c.hiddenSize()));
        out.put("layers", Integer.toString(c.numLayers()));
        out.put("bidirectional", Boolean.toString(c.bidirectional()));
        out.put("proj_size", Integer.toString(c.projSize()));
        out.putAll(head);
        return out;
    }
}
