package dev.recur.engine.cli;

import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/**
 * {@code recur ARGS} run in this JVM, as the launcher would run it, and what it printed: the exit
 * code, standard output and standard error. Standard output is what the command wrote to
 * picocli's writer followed by what it wrote to {@code System.out} (where the training commands
 * print their progress); a command uses one or the other.
 */
public record CliRun(int exit, String out, String err) {

    public static CliRun recur(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        PrintStream saved = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            CommandLine cl = RecurCli.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            int exit = cl.execute(args);
            return new CliRun(exit, out + printed.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(saved);
        }
    }
}
