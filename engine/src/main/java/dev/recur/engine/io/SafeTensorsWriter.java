package dev.recur.engine.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recur.engine.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Collects tensors and metadata, then writes them as one safetensors file (layout in
 * {@link SafeTensorsFile}).
 *
 * <p>The writer holds references, not copies: tensor and array contents are read when {@link #write}
 * runs, so they must not change in between. Output is deterministic: {@code __metadata__} first (when
 * any was given), then tensors in insertion order, their data packed back to back in the same order.
 * As in the official writer, the header is padded with spaces so that the data buffer starts at a
 * multiple of 8 bytes; tensors are not padded between each other.
 *
 * <p>{@link #write} is atomic: the bytes go to a temporary file beside the target, are forced to disk,
 * and the temporary file is then renamed over the target. If anything fails, the temporary file is
 * deleted and the target keeps its previous contents (or stays absent).
 */
public final class SafeTensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Copies elements {@code [first, first + count)} of a tensor source into {@code staging}, little-endian. */
    @FunctionalInterface
    private interface ElementSource {
        void copy(long first, int count, MemorySegment staging);
    }

    private record Pending(String name, SafeTensorsDtype dtype, int[] shape, long elementCount, ElementSource source) {
        long byteCount() {
            return elementCount * dtype.byteSize();
        }
    }

    private final Map<String, Pending> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a float32 tensor (F32). Its data is read, from whatever arena owns it, during {@link #write}. */
    public SafeTensorsWriter put(String name, Tensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        MemorySegment data = tensor.data();
        return add(name, SafeTensorsDtype.F32, tensor.shape(), tensor.size(), (first, count, staging) ->
                MemorySegment.copy(data, Tensor.FLOAT, first * Float.BYTES, staging, SafeTensorsFile.LE_F32, 0, count));
    }

    /** Adds a float32 tensor (F32) from row-major {@code values}. */
    public SafeTensorsWriter putF32(String name, float[] values, int... shape) {
        return add(name, SafeTensorsDtype.F32, shape, arrayLength(name, values.length, shape), (first, count, staging) ->
                MemorySegment.copy(values, (int) first, staging, SafeTensorsFile.LE_F32, 0, count));
    }

    /** Adds a float64 tensor (F64) from row-major {@code values}. */
    public SafeTensorsWriter putF64(String name, double[] values, int... shape) {
        return add(name, SafeTensorsDtype.F64, shape, arrayLength(name, values.length, shape), (first, count, staging) ->
                MemorySegment.copy(values, (int) first, staging, SafeTensorsFile.LE_F64, 0, count));
    }

    /** Adds an int64 tensor (I64) from row-major {@code values}. */
    public SafeTensorsWriter putI64(String name, long[] values, int... shape) {
        return add(name, SafeTensorsDtype.I64, shape, arrayLength(name, values.length, shape), (first, count, staging) ->
                MemorySegment.copy(values, (int) first, staging, SafeTensorsFile.LE_I64, 0, count));
    }

    /** Adds an int32 tensor (I32) from row-major {@code values}. */
    public SafeTensorsWriter putI32(String name, int[] values, int... shape) {
        return add(name, SafeTensorsDtype.I32, shape, arrayLength(name, values.length, shape), (first, count, staging) ->
                MemorySegment.copy(values, (int) first, staging, SafeTensorsFile.LE_I32, 0, count));
    }

    /** Sets a {@code __metadata__} entry; setting a key again replaces its value (order is of first setting). */
    public SafeTensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    private SafeTensorsWriter add(String name, SafeTensorsDtype dtype, int[] shape, long elementCount,
                                  ElementSource source) {
        Objects.requireNonNull(name, "name");
        if (name.equals(SafeTensorsFile.METADATA_KEY)) {
            throw new IllegalArgumentException("'" + SafeTensorsFile.METADATA_KEY + "' is reserved for metadata");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' was already put");
        }
        tensors.put(name, new Pending(name, dtype, shape.clone(), elementCount, source));
        return this;
    }

    private static long arrayLength(String name, int length, int[] shape) {
        long size = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape "
                        + Arrays.toString(shape));
            }
            size = Math.multiplyExact(size, d);
        }
        if (size != length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " holds "
                    + size + " elements but " + length + " values were given");
        }
        return size;
    }

    /** The header JSON, space-padded so that 8 + its length is a multiple of 8. */
    private byte[] header() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafeTensorsFile.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Pending t : tensors.values()) {
            ObjectNode entry = root.putObject(t.name());
            entry.put("dtype", t.dtype().name());
            ArrayNode shape = entry.putArray("shape");
            for (int d : t.shape()) {
                shape.add(d);
            }
            long end = Math.addExact(offset, t.byteCount());
            entry.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(root);
        int padding = (8 - (Long.BYTES + json.length) % 8) % 8;
        if ((long) json.length + padding > SafeTensorsFile.MAX_HEADER_BYTES) {
            throw new IOException("header of " + json.length + " bytes exceeds the safetensors limit of "
                    + SafeTensorsFile.MAX_HEADER_BYTES);
        }
        byte[] padded = Arrays.copyOf(json, json.length + padding);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }

    /** Writes every tensor put so far to {@code target}, atomically replacing any existing file; returns target. */
    public Path write(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path directory = absolute.getParent();
        byte[] header = header();
        // Hidden, unique and in the same directory, so that the final rename cannot cross file systems.
        Path temp = directory.resolve("." + absolute.getFileName() + "."
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            // CREATE_NEW rather than Files.createTempFile: the result gets the usual umask permissions, not 0600.
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 Arena scratch = Arena.ofConfined()) {
                ByteBuffer length = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                length.putLong(0, header.length);
                writeFully(channel, length);
                writeFully(channel, ByteBuffer.wrap(header));
                MemorySegment staging = scratch.allocate(SafeTensorsFile.CHUNK_BYTES, Long.BYTES);
                for (Pending t : tensors.values()) {
                    writeData(channel, t, staging);
                }
                channel.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable failure) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException cleanup) {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
        syncDirectory(directory);
        return target;
    }

    private static void writeData(FileChannel channel, Pending t, MemorySegment staging) throws IOException {
        int elementSize = t.dtype().byteSize();
        long perChunk = staging.byteSize() / elementSize;
        for (long first = 0; first < t.elementCount(); first += perChunk) {
            int count = (int) Math.min(perChunk, t.elementCount() - first);
            t.source().copy(first, count, staging);
            writeFully(channel, staging.asSlice(0, (long) count * elementSize).asByteBuffer());
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /**
     * Makes the rename durable on POSIX file systems, where a directory entry change is only on disk
     * once the directory itself is synced. Some platforms (Windows) cannot open a directory as a
     * channel; there the rename is already journaled, so failing to sync is not an error.
     */
    private static void syncDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException unsupported) {
            // Durability of the rename is best effort where the platform offers no directory sync.
        }
    }

    @Override
    public String toString() {
        return "SafeTensorsWriter[" + tensors.size() + " tensors, " + metadata.size() + " metadata entries]";
    }
}
