package dev.recur.engine.cli;

import dev.recur.engine.cli.bench.BenchCommand;
import dev.recur.engine.cli.gpucheck.GpuCheckCommand;
import dev.recur.engine.cli.train.EvalCommand;
import dev.recur.engine.cli.train.GenerateCommand;
import dev.recur.engine.cli.train.TrainCommand;
import dev.recur.engine.tensor.JvmOptions;
import dev.recur.engine.tensor.MissingJvmOptionException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code recur} command line: {@code info}, {@code demo}, {@code infer}, {@code bench}, {@code train}, {@code generate}, {@code eval}. */
@Command(name = "recur", mixinStandardHelpOptions = true, version = "recur 0.1.0",
        description = "Recurrent neural networks (RNN, GRU, LSTM) on the JVM, with PyTorch's semantics.",
        subcommands = {InfoCommand.class, DemoCommand.class, InferCommand.class, BenchCommand.class, TrainCommand.class,
                GenerateCommand.class, EvalCommand.class, GpuCheckCommand.class})
public final class RecurCli implements Runnable {
    /** Exit code for bad input, unavailable devices and missing JVM options: one line on stderr, nothing written. */
    public static final int USAGE_ERROR = 2;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new RecurCli());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // Bad input is reported in one line without a stack trace; anything else is a bug.
            if (ex instanceof UserError || ex instanceof java.io.IOException || ex instanceof IllegalArgumentException
                    || ex instanceof MissingJvmOptionException) {
                cmd.getErr().println("recur " + cmd.getCommandName() + ": " + ex.getMessage());
                return USAGE_ERROR;
            }
            throw ex;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("recur: " + ex.getMessage());
            return USAGE_ERROR;
        });
        return cl;
    }

    public static void main(String[] args) {
        // Before any command touches the Vector API (info does, directly): a JVM without the
        // options gets one line naming them, not a NoClassDefFoundError's stack trace.
        try {
            JvmOptions.require();
        } catch (MissingJvmOptionException e) {
            System.err.println("recur: " + e.getMessage());
            System.exit(USAGE_ERROR);
        }
        System.exit(commandLine().execute(args));
    }
}
