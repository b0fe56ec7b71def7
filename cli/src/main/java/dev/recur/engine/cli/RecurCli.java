package dev.recur.engine.cli;

import dev.recur.engine.cli.bench.BenchCommand;
import dev.recur.engine.cli.gpucheck.GpuCheckCommand;
import dev.recur.engine.cli.train.EvalCommand;
import dev.recur.engine.cli.train.GenerateCommand;
import dev.recur.engine.cli.train.PredictCommand;
import dev.recur.engine.cli.train.TrainCommand;
import dev.recur.engine.tensor.JvmOptions;
import dev.recur.engine.tensor.MissingJvmOptionException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** The {@code recur} command line: {@code info}, {@code demo}, {@code infer}, {@code bench}, {@code train}, {@code generate}, {@code eval}, {@code predict}. */
@Command(name = "recur", mixinStandardHelpOptions = true, version = "recur 0.1.0",
        description = "Recurrent neural networks (RNN, GRU, LSTM) on the JVM, with PyTorch's semantics.",
        subcommands = {InfoCommand.class, DemoCommand.class, InferCommand.class, BenchCommand.class, TrainCommand.class,
                GenerateCommand.class, EvalCommand.class, PredictCommand.class, GpuCheckCommand.class})
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
                cmd.getErr().println("recur " + cmd.getCommandName() + ": " + describe(ex));
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

    /**
     * The one line for a failure: its message, with the reason added where the JDK's file errors
     * give only the path (an {@code --out} that is a file, a folder without write permission).
     */
    static String describe(Exception ex) {
        String reason = switch (ex) {
            case AccessDeniedException e -> "permission denied";
            case FileAlreadyExistsException e -> "already exists";
            case NoSuchFileException e -> "no such file or folder";
            case NotDirectoryException e -> "is not a folder";
            case DirectoryNotEmptyException e -> "is a folder that is not empty";
            case FileSystemException e -> e.getReason();
            default -> null;
        };
        if (ex instanceof FileSystemException f && reason != null) {
            return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + reason;
        }
        return ex.getMessage();
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
