package dev.recur.engine.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Every command's --help renders: picocli formats descriptions, so a bare % breaks them with a warning. */
class HelpTextTest {

    @Test
    void everyCommandsHelpFormatsWithoutWarnings() {
        List<String> problems = new ArrayList<>();
        PrintStream saved = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
        try {
            check(RecurCli.commandLine(), problems);
        } finally {
            System.setErr(saved);
        }
        assertEquals(List.of(), problems);
        assertFalse(warnings.toString(StandardCharsets.UTF_8).contains("WARN"), warnings.toString(StandardCharsets.UTF_8));
    }

    private static void check(CommandLine command, List<String> problems) {
        String usage = command.getUsageMessage();
        if (usage.contains("%n") || usage.contains("Could not format")) {
            problems.add(command.getCommandName() + ": " + usage);
        }
        command.getSubcommands().values().forEach(sub -> check(sub, problems));
    }
}
