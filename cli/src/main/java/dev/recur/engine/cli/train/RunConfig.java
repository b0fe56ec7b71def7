package dev.recur.engine.cli.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.io.DataFileException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * {@code --config run.json}: a JSON object whose keys are a command's flags without their dashes
 * ({@code {"task": "forecast", "hidden": 64, "differences": true}}), turned into the arguments
 * they stand for. Placed before the command line's own arguments, which therefore override them.
 */
final class RunConfig {
    private RunConfig() {
    }

    /** The arguments {@code file} stands for, checked against {@code command}'s options. */
    static List<String> arguments(Path file, CommandSpec command) throws IOException {
        DataFileException.requireFile(file, "config file");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new DataFileException(file, "is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new DataFileException(file, "must hold a JSON object of flags");
        List<String> args = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String flag = "--" + e.getKey();
            OptionSpec option = command.findOption(flag);
            if (option == null || flag.equals("--config") || option.usageHelp() || option.versionHelp()) {
                throw new UserError(file + ": key '" + e.getKey() + "' is not a flag of recur " + command.name()
                        + " (keys are its flags without the dashes, e.g. \"hidden\": 64)");
            }
            JsonNode value = e.getValue();
            boolean isSwitch = option.arity().max() == 0;
            if (isSwitch) {
                if (!value.isBoolean()) {
                    throw new UserError(file + ": key '" + e.getKey() + "' is " + value + ", expected true or false");
                }
                if (value.asBoolean()) args.add(flag);
            } else if (value.isValueNode() && !value.isNull()) {
                args.add(flag);
                args.add(value.asText());
            } else {
                throw new UserError(file + ": key '" + e.getKey() + "' is " + value + ", expected a string or a number");
            }
        }
        return args;
    }
}
