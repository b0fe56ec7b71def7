package dev.recur.engine.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SequencedSet;
import java.util.stream.Collectors;

/**
 * A validated safetensors file: its header is parsed and checked in full by {@link #read}, and tensor
 * data is read on demand.
 *
 * <p>Byte layout of the format:
 * <pre>
 * [0, 8)           N, the header length: unsigned 64-bit little-endian
 * [8, 8+N)         header: UTF-8 JSON object, possibly padded with trailing spaces
 *                    { "__metadata__": {"k": "v", ...},                       (optional, strings only)
 *                      "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ... }
 * [8+N, file end)  data buffer; each tensor's bytes are [8+N+begin, 8+N+end): little-endian, row-major
 * </pre>
 *
 * <p>No file handle is kept: {@link #read} closes the file before returning, and each {@code read...}
 * call opens it again, reads just that tensor's byte range in 1 MiB chunks and closes it. So this
 * object needs no closing, is immutable and may be shared between threads. If the file's size has
 * changed since {@link #read}, tensor reads fail rather than return data from a different file.
 *
 * <p>Validation is stricter than "can be parsed" but slightly more lenient than the official Rust
 * reader: gaps between tensors' byte ranges and bytes after the last one are allowed (they harm
 * nothing), overlapping ranges are not. Only the dtypes F32, F64, F16, BF16, I64 and I32 are
 * accepted; a file holding any other dtype is rejected as a whole. Dimensions must fit in an
 * {@code int}, as {@link Tensor} shapes do.
 */
public final class SafeTensorsFile {
    /** Headers longer than this are refused before allocating, as the official reader does. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";
    static final ValueLayout.OfFloat LE_F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble LE_F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort LE_I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LE_I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Staging buffer size for reads and writes; a multiple of every element size. */
    static final int CHUNK_BYTES = 1 << 20;

    private static final ObjectMapper HEADER_JSON = JsonMapper.builder(JsonFactory.builder()
                    // Jackson's default 20 MB string / 50 kB name limits are below what a legal header holds.
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxStringLength((int) MAX_HEADER_BYTES)
                            .maxNameLength((int) MAX_HEADER_BYTES)
                            .build())
                    .build())
            // Two entries with one name would make the file mean two things; junk after the object likewise.
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** One tensor's header entry; begin and end are offsets into the data buffer. */
    private record Entry(String name, SafeTensorsDtype dtype, int[] shape, long elementCount, long begin, long end) {
        long byteCount() {
            return end - begin;
        }
    }

    private final Path path;
    private final long fileSize;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final SequencedMap<String, Entry> entries;

    private SafeTensorsFile(Path path, long fileSize, long dataStart, Map<String, String> metadata,
                            SequencedMap<String, Entry> entries) {
        this.path = path;
        this.fileSize = fileSize;
        this.dataStart = dataStart;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.entries = entries;
    }

    /**
     * Reads and validates the header of {@code path}, checking every entry against the file's size.
     *
     * @throws SafeTensorsException if the file is not a well-formed safetensors file of supported dtypes
     * @throws IOException if the file cannot be read at all
     */
    public static SafeTensorsFile read(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            if (fileSize < Long.BYTES) {
                throw new SafeTensorsException(path, null, "truncated: " + fileSize
                        + " bytes, expected at least 8 for the header length");
            }
            ByteBuffer lengthField = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthField, 0, path);
            long headerLength = lengthField.getLong(0);
            // Unsigned comparisons: a length of 2^63 or more reads as negative in a long.
            if (Long.compareUnsigned(headerLength, MAX_HEADER_BYTES) > 0) {
                throw new SafeTensorsException(path, null, "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (headerLength > fileSize - Long.BYTES) {
                throw new SafeTensorsException(path, null, "header length " + headerLength
                        + " runs past the end of the file: only " + (fileSize - Long.BYTES)
                        + " bytes follow the length field");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, Long.BYTES, path);
            return parse(path, fileSize, header.array());
        }
    }

    private static SafeTensorsFile parse(Path path, long fileSize, byte[] headerBytes) throws SafeTensorsException {
        long dataStart = Long.BYTES + (long) headerBytes.length;
        long dataLength = fileSize - dataStart;
        JsonNode root = parseJson(path, headerBytes);
        Map<String, String> metadata = new LinkedHashMap<>();
        SequencedMap<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String key = field.getKey();
            if (key.equals(METADATA_KEY)) {
                parseMetadata(path, field.getValue(), metadata);
            } else {
                Entry entry = parseEntry(path, key, field.getValue(), dataLength);
                entries.put(key, entry);
            }
        }
        checkNoOverlap(path, entries.values());
        return new SafeTensorsFile(path, fileSize, dataStart, metadata, entries);
    }

    private static JsonNode parseJson(Path path, byte[] headerBytes) throws SafeTensorsException {
        String text;
        try {
            // Decoded strictly here because Jackson would guess UTF-16/32 from the first bytes.
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(headerBytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsException(path, null, "header is not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = HEADER_JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new SafeTensorsException(path, null, "header is not valid JSON: " + e.getOriginalMessage() + where, e);
        }
        if (root == null || root.isMissingNode()) {
            throw new SafeTensorsException(path, null, "header is empty, expected a JSON object");
        }
        if (!root.isObject()) {
            throw new SafeTensorsException(path, null, "header is a JSON " + jsonType(root) + ", expected an object");
        }
        return root;
    }

    private static void parseMetadata(Path path, JsonNode node, Map<String, String> metadata)
            throws SafeTensorsException {
        if (!node.isObject()) {
            throw new SafeTensorsException(path, METADATA_KEY, "is a JSON " + jsonType(node)
                    + ", expected an object of strings");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw new SafeTensorsException(path, METADATA_KEY, "has value " + field.getValue() + " for '" + field.getKey()
                        + "' of JSON type " + jsonType(field.getValue()) + ", expected a string");
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
    }

    private static Entry parseEntry(Path path, String key, JsonNode node, long dataLength) throws SafeTensorsException {
        if (!node.isObject()) {
            throw new SafeTensorsException(path, key, "is a JSON " + jsonType(node)
                    + ", expected an object with dtype, shape and data_offsets");
        }
        SafeTensorsDtype dtype = parseDtype(path, key, required(path, key, node, "dtype"));
        int[] shape = parseShape(path, key, required(path, key, node, "shape"));
        JsonNode offsets = required(path, key, node, "data_offsets");
        if (!offsets.isArray() || offsets.size() != 2 || !offsets.get(0).isIntegralNumber()
                || !offsets.get(1).isIntegralNumber()) {
            String type = offsets.isArray() ? "" : " of JSON type " + jsonType(offsets);
            throw new SafeTensorsException(path, key, "has data_offsets " + offsets + type
                    + ", expected an array of two integers [begin, end]");
        }
        // Offsets beyond a long are certainly beyond the file; they are reported as out of range.
        long begin = offsets.get(0).canConvertToLong() ? offsets.get(0).longValue() : Long.MAX_VALUE;
        long end = offsets.get(1).canConvertToLong() ? offsets.get(1).longValue() : Long.MAX_VALUE;
        if (begin < 0 || end < 0 || begin > dataLength || end > dataLength) {
            throw new SafeTensorsException(path, key, "has data_offsets " + offsets
                    + " outside the data buffer, expected within [0, " + dataLength + "]");
        }
        if (begin > end) {
            throw new SafeTensorsException(path, key, "has data_offsets " + offsets + " with begin > end");
        }
        long elementCount = elementCount(path, key, shape);
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(elementCount, dtype.byteSize());
        } catch (ArithmeticException e) {
            expectedBytes = -1;
        }
        if (end - begin != expectedBytes) {
            throw new SafeTensorsException(path, key, "has data_offsets " + offsets + " spanning " + (end - begin)
                    + " bytes, expected " + (expectedBytes < 0 ? "more than 2^63" : expectedBytes) + " for "
                    + dtype + " shape " + Arrays.toString(shape));
        }
        return new Entry(key, dtype, shape, elementCount, begin, end);
    }

    private static JsonNode required(Path path, String key, JsonNode entry, String field) throws SafeTensorsException {
        JsonNode value = entry.get(field);
        if (value == null) {
            throw new SafeTensorsException(path, key, "has no \"" + field + "\", expected dtype, shape and data_offsets");
        }
        return value;
    }

    private static SafeTensorsDtype parseDtype(Path path, String key, JsonNode node) throws SafeTensorsException {
        if (!node.isTextual()) {
            throw new SafeTensorsException(path, key, "has dtype " + node + " of JSON type " + jsonType(node)
                    + ", expected a string");
        }
        return SafeTensorsDtype.parse(node.textValue()).orElseThrow(() -> new SafeTensorsException(path, key,
                "has unsupported dtype '" + node.textValue() + "', expected one of " + SafeTensorsDtype.supportedList()));
    }

    private static int[] parseShape(Path path, String key, JsonNode node) throws SafeTensorsException {
        if (!node.isArray()) {
            throw new SafeTensorsException(path, key, "has shape " + node + " of JSON type " + jsonType(node)
                    + ", expected an array of integers");
        }
        int[] shape = new int[node.size()];
        for (int axis = 0; axis < shape.length; axis++) {
            JsonNode dim = node.get(axis);
            if (!dim.isIntegralNumber()) {
                throw new SafeTensorsException(path, key, "has shape " + node + " with dimension " + dim
                        + " of JSON type " + jsonType(dim) + ", expected an integer");
            }
            if (dim.bigIntegerValue().signum() < 0) {
                throw new SafeTensorsException(path, key, "has shape " + node + " with negative dimension " + dim);
            }
            if (!dim.canConvertToInt()) {
                throw new SafeTensorsException(path, key, "has shape " + node + " with dimension " + dim
                        + ", expected at most " + Integer.MAX_VALUE);
            }
            shape[axis] = dim.intValue();
        }
        return shape;
    }

    private static long elementCount(Path path, String key, int[] shape) throws SafeTensorsException {
        long count = 1;
        for (int d : shape) {
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException e) {
                throw new SafeTensorsException(path, key, "has shape " + Arrays.toString(shape)
                        + " with more than 2^63 elements");
            }
        }
        return count;
    }

    private static void checkNoOverlap(Path path, Iterable<Entry> entries) throws SafeTensorsException {
        List<Entry> byBegin = new ArrayList<>();
        for (Entry e : entries) {
            // An empty range shares no byte with anything, wherever it points.
            if (e.byteCount() > 0) {
                byBegin.add(e);
            }
        }
        byBegin.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        // Tracking the furthest-reaching range so far finds overlaps with any earlier range, not just the last.
        Entry furthest = null;
        for (Entry e : byBegin) {
            if (furthest != null && e.begin() < furthest.end()) {
                throw new SafeTensorsException(path, e.name(), "has data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlapping key '" + furthest.name() + "' at [" + furthest.begin() + ", "
                        + furthest.end() + "], expected disjoint ranges");
            }
            if (furthest == null || e.end() > furthest.end()) {
                furthest = e;
            }
        }
    }

    private static String jsonType(JsonNode node) {
        return node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    // ---------------------------------------------------------------------------------------------
    // Header queries

    /** The file this was read from, as given to {@link #read}. */
    public Path path() {
        return path;
    }

    /** The {@code __metadata__} string map, in file order; empty when the file has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in header order ({@code __metadata__} excluded). */
    public SequencedSet<String> names() {
        return Collections.unmodifiableSequencedSet(entries.sequencedKeySet());
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The header spelling of the tensor's dtype: one of F32, F64, F16, BF16, I64, I32. */
    public String dtype(String name) throws SafeTensorsException {
        return entry(name).dtype().name();
    }

    public int[] shape(String name) throws SafeTensorsException {
        return entry(name).shape().clone();
    }

    /** A one-line error about this file (and {@code key}, which may be null), for callers' own checks. */
    public SafeTensorsException error(String key, String problem) {
        return new SafeTensorsException(path, key, problem);
    }

    /** Throws unless {@code name} exists and is floating point (F32, F64, F16 or BF16). */
    public void requireFloat(String name) throws SafeTensorsException {
        floatEntry(name);
    }

    /** Throws unless {@code name} exists and is an integer tensor (I64 or I32). */
    public void requireInteger(String name) throws SafeTensorsException {
        integerEntry(name);
    }

    /** Throws unless {@code name} exists and has exactly the shape {@code expected}. */
    public void requireShape(String name, int... expected) throws SafeTensorsException {
        Entry e = entry(name);
        if (!Arrays.equals(e.shape(), expected)) {
            throw new SafeTensorsException(path, name, "has shape " + Arrays.toString(e.shape())
                    + ", expected " + Arrays.toString(expected));
        }
    }

    private Entry entry(String name) throws SafeTensorsException {
        Entry e = entries.get(name);
        if (e == null) {
            int shown = 10;
            String listed = entries.keySet().stream().limit(shown).map(n -> "'" + n + "'")
                    .collect(Collectors.joining(", "));
            String more = entries.size() > shown ? ", ..." : "";
            throw new SafeTensorsException(path, name, "is missing; the file has " + entries.size()
                    + " tensors" + (entries.isEmpty() ? "" : ": " + listed + more));
        }
        return e;
    }

    private Entry floatEntry(String name) throws SafeTensorsException {
        Entry e = entry(name);
        if (!e.dtype().isFloatingPoint()) {
            throw new SafeTensorsException(path, name, "has dtype " + e.dtype() + ", expected F32, F64, F16 or BF16");
        }
        return e;
    }

    private Entry integerEntry(String name) throws SafeTensorsException {
        Entry e = entry(name);
        if (e.dtype().isFloatingPoint()) {
            throw new SafeTensorsException(path, name, "has dtype " + e.dtype() + ", expected I64 or I32");
        }
        return e;
    }

    // ---------------------------------------------------------------------------------------------
    // Data

    /**
     * The tensor as float32 in {@code arena}. F16 and BF16 widen exactly; F64 rounds to nearest (ties to
     * even), so values beyond the float range become infinities. If reading fails the partly filled
     * tensor is left to {@code arena}, which frees it on close.
     */
    public Tensor readFloat(String name, TensorArena arena) throws IOException {
        Entry e = floatEntry(name);
        Tensor tensor = arena.empty(e.shape());
        MemorySegment out = tensor.data();
        switch (e.dtype()) {
            case F32 -> readChunks(e, (chunk, first, count) ->
                    MemorySegment.copy(chunk, LE_F32, 0, out, Tensor.FLOAT, first * Float.BYTES, count));
            case F64 -> readChunks(e, (chunk, first, count) -> {
                for (int i = 0; i < count; i++) {
                    out.setAtIndex(Tensor.FLOAT, first + i, (float) chunk.getAtIndex(LE_F64, i));
                }
            });
            case F16 -> readChunks(e, (chunk, first, count) -> {
                for (int i = 0; i < count; i++) {
                    out.setAtIndex(Tensor.FLOAT, first + i, Float.float16ToFloat(chunk.getAtIndex(LE_I16, i)));
                }
            });
            case BF16 -> readChunks(e, (chunk, first, count) -> {
                for (int i = 0; i < count; i++) {
                    out.setAtIndex(Tensor.FLOAT, first + i, bfloat16ToFloat(chunk.getAtIndex(LE_I16, i)));
                }
            });
            case I64, I32 -> throw new AssertionError("floatEntry admitted " + e.dtype());
        }
        return tensor;
    }

    /** The tensor's values as float64, exactly (every supported float dtype widens without rounding). */
    public double[] readDoubles(String name) throws IOException {
        Entry e = floatEntry(name);
        double[] out = new double[arrayLength(e)];
        switch (e.dtype()) {
            case F64 -> readChunks(e, (chunk, first, count) ->
                    MemorySegment.copy(chunk, LE_F64, 0, out, (int) first, count));
            case F32 -> readChunks(e, (chunk, first, count) -> {
                for (int i = 0; i < count; i++) {
                    out[(int) first + i] = chunk.getAtIndex(LE_F32, i);
                }
            });
            case F16 -> readChunks(e, (chunk, first, count) -> {
                for (int i = 0; i < count; i++) {
                    out[(int) first + i] = Float.float16ToFloat(chunk.getAtIndex(LE_I16, i));
                }
            });
            case BF16 -> readChunks(e, (chunk, first, count) -> {
                for (int i = 0; i < count; i++) {
                    out[(int) first + i] = bfloat16ToFloat(chunk.getAtIndex(LE_I16, i));
                }
            });
            case I64, I32 -> throw new AssertionError("floatEntry admitted " + e.dtype());
        }
        return out;
    }

    /** An I64 or I32 tensor's values, widened to long. */
    public long[] readLongs(String name) throws IOException {
        Entry e = integerEntry(name);
        long[] out = new long[arrayLength(e)];
        switch (e.dtype()) {
            case I64 -> readChunks(e, (chunk, first, count) ->
                    MemorySegment.copy(chunk, LE_I64, 0, out, (int) first, count));
            case I32 -> readChunks(e, (chunk, first, count) -> {
                for (int i = 0; i < count; i++) {
                    out[(int) first + i] = chunk.getAtIndex(LE_I32, i);
                }
            });
            case F32, F64, F16, BF16 -> throw new AssertionError("integerEntry admitted " + e.dtype());
        }
        return out;
    }

    /** bfloat16 is the top half of a float32, so widening is a shift: exact for every value, NaNs included. */
    static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    private int arrayLength(Entry e) throws SafeTensorsException {
        // The JVM's array limit is a little under Integer.MAX_VALUE.
        if (e.elementCount() > Integer.MAX_VALUE - 8) {
            throw new SafeTensorsException(path, e.name(), "has " + e.elementCount()
                    + " elements, more than a Java array holds");
        }
        return (int) e.elementCount();
    }

    /** Receives {@code count} consecutive little-endian elements starting at flat index {@code first}. */
    @FunctionalInterface
    private interface ChunkConsumer {
        void accept(MemorySegment chunk, long first, int count);
    }

    private void readChunks(Entry e, ChunkConsumer consumer) throws IOException {
        if (e.byteCount() == 0) {
            return;
        }
        int elementSize = e.dtype().byteSize();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
             Arena scratch = Arena.ofConfined()) {
            long sizeNow = channel.size();
            if (sizeNow != fileSize) {
                throw new SafeTensorsException(path, null, "changed since its header was read: now " + sizeNow
                        + " bytes, was " + fileSize);
            }
            long chunkBytes = Math.min(CHUNK_BYTES, e.byteCount());
            MemorySegment buffer = scratch.allocate(chunkBytes, Long.BYTES);
            for (long done = 0; done < e.byteCount(); ) {
                long n = Math.min(chunkBytes, e.byteCount() - done);
                MemorySegment chunk = buffer.asSlice(0, n);
                readFully(channel, chunk.asByteBuffer(), dataStart + e.begin() + done, path);
                consumer.accept(chunk, done / elementSize, (int) (n / elementSize));
                done += n;
            }
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position, Path path) throws IOException {
        long start = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, position);
            if (n < 0) {
                throw new SafeTensorsException(path, null, "ended at byte " + position + " while reading "
                        + into.capacity() + " bytes from byte " + start + "; was it truncated meanwhile?");
            }
            position += n;
        }
    }

    @Override
    public String toString() {
        return "SafeTensorsFile[" + path + ", " + entries.size() + " tensors]";
    }
}
