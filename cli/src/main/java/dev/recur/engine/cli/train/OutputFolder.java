package dev.recur.engine.cli.train;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A run's output folder, created with any missing parents; on close, the folders this created are
 * removed again if they are still empty, so a run refused or failed before it wrote anything
 * leaves no folder behind.
 */
final class OutputFolder implements AutoCloseable {
    /** The folders this created, innermost first. */
    private final Deque<Path> created;

    private OutputFolder(Deque<Path> created) {
        this.created = created;
    }

    static OutputFolder create(Path dir) throws IOException {
        Deque<Path> created = new ArrayDeque<>();
        for (Path p = dir.toAbsolutePath().normalize(); p != null && !Files.exists(p); p = p.getParent()) {
            created.addLast(p);
        }
        Files.createDirectories(dir);
        return new OutputFolder(created);
    }

    @Override
    public void close() {
        for (Path p : created) {
            try {
                if (!isEmpty(p)) return;
                Files.delete(p);
            } catch (IOException e) {
                return;   // best effort: a folder someone else is writing into stays
            }
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        }
    }
}
