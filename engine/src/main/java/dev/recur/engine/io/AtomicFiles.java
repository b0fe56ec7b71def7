package dev.recur.engine.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Whole-file writes that a reader sees either complete or not at all (as {@link SafeTensorsWriter} does). */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Writes {@code bytes} to a hidden temporary file beside {@code target}, then renames it over target. */
    public static void write(Path target, byte[] bytes) throws IOException {
        replace(target, temp -> {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) channel.write(buffer);
                channel.force(true);
            }
        });
    }

    /** Copies {@code source} to a hidden temporary file beside {@code target}, then renames it over target. */
    public static void copy(Path source, Path target) throws IOException {
        replace(target, temp -> {
            Files.copy(source, temp);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
        });
    }

    private interface TempWriter {
        void writeTo(Path temp) throws IOException;
    }

    private static void replace(Path target, TempWriter writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path directory = absolute.getParent();
        if (!Files.isDirectory(directory)) {
            throw new IOException("cannot write " + target + ": directory " + directory + " does not exist");
        }
        // Same directory, so that the rename cannot cross file systems; a new file keeps the umask permissions.
        Path temp = directory.resolve("." + absolute.getFileName() + "."
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            writer.writeTo(temp);
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable failure) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException cleanup) {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
    }
}
