package dev.recur.engine.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class SafeTensorsTest {
    @TempDir
    Path dir;

    // ---------------------------------------------------------------------------------------------
    // Round trip

    @Test
    void roundTripsEveryWrittenDtypeWithMetadata() throws IOException {
        Path file = dir.resolve("all.safetensors");
        long[] longs = {Long.MIN_VALUE, -1, 0, 1L << 40, Long.MAX_VALUE, 7};
        int[] ints = {Integer.MIN_VALUE, -3, 0, Integer.MAX_VALUE};
        double[] doubles = {Math.PI, -0.0, Double.MIN_VALUE, 1e300, Double.NaN, Double.NEGATIVE_INFINITY};
        float[] floats = {1.5f, -2.25f, Float.MIN_VALUE, Float.MAX_VALUE, -0.0f, 1f / 3};
        try (TensorArena arena = TensorArena.open("round trip")) {
            Tensor matrix = arena.of(new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3);
            new SafeTensorsWriter()
                    .metadata("format", "pt")
                    .metadata("note", "ünïcødé, \"quotes\" and a\nnewline")
                    .put("matrix", matrix)
                    .put("middle_row", matrix.rows(1, 2))
                    .putF32("floats", floats, 2, 3)
                    .putF64("doubles", doubles, 3, 1, 2)
                    .putI64("longs", longs, 6)
                    .putI32("ints", ints, 2, 2)
                    .putF64("scalar", new double[]{2.5})
                    .putF32("empty", new float[0], 0, 4)
                    .write(file);

            SafeTensorsFile read = SafeTensorsFile.read(file);
            assertThat(read.names()).containsExactly(
                    "matrix", "middle_row", "floats", "doubles", "longs", "ints", "scalar", "empty");
            assertThat(read.metadata()).containsExactly(
                    Map.entry("format", "pt"), Map.entry("note", "ünïcødé, \"quotes\" and a\nnewline"));
            assertThat(read.dtype("matrix")).isEqualTo("F32");
            assertThat(read.dtype("doubles")).isEqualTo("F64");
            assertThat(read.dtype("longs")).isEqualTo("I64");
            assertThat(read.dtype("ints")).isEqualTo("I32");
            assertThat(read.shape("doubles")).containsExactly(3, 1, 2);
            assertThat(read.shape("scalar")).isEmpty();
            assertThat(read.shape("empty")).containsExactly(0, 4);

            Tensor matrixBack = read.readFloat("matrix", arena);
            assertThat(matrixBack.shape()).containsExactly(3, 3);
            assertThat(matrixBack.toArray()).containsExactly(matrix.toArray());
            assertThat(read.readFloat("middle_row", arena).toArray()).containsExactly(4, 5, 6);
            assertSameBits(read.readFloat("floats", arena).toArray(), floats);
            assertSameBits(read.readDoubles("doubles"), doubles);
            assertThat(read.readLongs("longs")).containsExactly(longs);
            assertThat(read.readLongs("ints")).containsExactly(Integer.MIN_VALUE, -3, 0, Integer.MAX_VALUE);
            assertThat(read.readDoubles("scalar")).containsExactly(2.5);
            assertThat(read.readFloat("scalar", arena).shape()).isEmpty();
            assertThat(read.readFloat("scalar", arena).get(0)).isEqualTo(2.5f);
            assertThat(read.readFloat("empty", arena).size()).isZero();
            assertThat(read.readDoubles("empty")).isEmpty();
            // F64 read as float rounds to nearest.
            assertThat(read.readFloat("doubles", arena).get(0)).isEqualTo((float) Math.PI);
        }
    }

    @Test
    void padsTheHeaderWithSpacesSoDataStartsAtAMultipleOfEight() throws IOException {
        Path file = dir.resolve("padded.safetensors");
        new SafeTensorsWriter().putI32("a", new int[]{1}, 1).write(file);
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertThat((8 + headerLength) % 8).isZero();
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        assertThat(header.strip()).hasSize(header.indexOf('}') + 2);
        assertThat(bytes).hasSize(8 + (int) headerLength + 4);
    }

    @Test
    void writesIdenticalBytesForIdenticalInput() throws IOException {
        Path first = dir.resolve("first.safetensors");
        Path second = dir.resolve("second.safetensors");
        for (Path p : List.of(first, second)) {
            new SafeTensorsWriter().metadata("k", "v").putF64("x", new double[]{1, 2}, 2)
                    .putI64("y", new long[]{3}, 1).write(p);
        }
        assertThat(Files.readAllBytes(first)).isEqualTo(Files.readAllBytes(second));
    }

    @Test
    void streamsTensorsLargerThanOneChunk() throws IOException {
        // 300k doubles = 2.4 MB: crosses the 1 MiB staging buffer in both writer and reader.
        double[] values = new double[300_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5 - 7;
        }
        Path file = dir.resolve("big.safetensors");
        new SafeTensorsWriter().putF64("big", values, 600, 500).write(file);
        SafeTensorsFile read = SafeTensorsFile.read(file);
        // isEqualTo, not containsExactly, which takes seconds on 300k elements.
        assertThat(read.readDoubles("big")).isEqualTo(values);
        try (TensorArena arena = TensorArena.open("big")) {
            Tensor t = read.readFloat("big", arena);
            assertThat(t.at(599, 499)).isEqualTo((float) values[values.length - 1]);
        }
    }

    @Test
    void rejectsAmbiguousWriterInput() {
        SafeTensorsWriter writer = new SafeTensorsWriter().putI32("a", new int[]{1}, 1);
        assertThatThrownBy(() -> writer.putI32("a", new int[]{1}, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> writer.putI32("__metadata__", new int[]{1}, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> writer.putF64("b", new double[3], 2, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> writer.putF64("c", new double[0], -1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------------------------------------
    // Atomic writes

    @Test
    void failedWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        new SafeTensorsWriter().putI32("old", new int[]{42}, 1).write(file);
        byte[] before = Files.readAllBytes(file);

        TensorArena closed = TensorArena.open("closed before write");
        Tensor dangling = closed.of(new float[]{1, 2}, 2);
        closed.close();
        SafeTensorsWriter writer = new SafeTensorsWriter()
                .putF64("written_first", new double[]{1, 2, 3}, 3)
                .put("dangling", dangling);

        assertThatThrownBy(() -> writer.write(file)).isInstanceOf(IllegalStateException.class);
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void writeReplacesAnExistingFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        new SafeTensorsWriter().putI32("old", new int[]{42}, 1).write(file);
        new SafeTensorsWriter().putI64("new", new long[]{43}, 1).write(file);
        assertThat(SafeTensorsFile.read(file).names()).containsExactly("new");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Files written by the official Python library (see engine/src/test/python/make_safetensors_fixtures.py)

    private static final String[] FORMULA_FLOAT_TENSORS =
            {"f32_2x3", "f64_3", "f16_2x2", "bf16_4", "scalar_f32", "empty_f32_0x3"};

    @Test
    void readsEveryDtypeWrittenByTorch() throws Exception {
        SafeTensorsFile file = SafeTensorsFile.read(fixture("formula_all_dtypes.safetensors"));
        assertThat(file.metadata()).containsExactlyInAnyOrderEntriesOf(
                Map.of("format", "pt", "producer", "make_safetensors_fixtures.py"));
        assertThat(file.names()).containsExactlyInAnyOrder(
                "f32_2x3", "f64_3", "f16_2x2", "bf16_4", "scalar_f32", "empty_f32_0x3", "i64_5", "i32_2x2");
        assertThat(file.dtype("f16_2x2")).isEqualTo("F16");
        assertThat(file.dtype("bf16_4")).isEqualTo("BF16");
        assertThat(file.shape("scalar_f32")).isEmpty();
        assertThat(file.shape("empty_f32_0x3")).containsExactly(0, 3);

        try (TensorArena arena = TensorArena.open("fixtures")) {
            for (int k = 1; k <= FORMULA_FLOAT_TENSORS.length; k++) {
                String name = FORMULA_FLOAT_TENSORS[k - 1];
                Tensor t = file.readFloat(name, arena);
                assertThat(t.shape()).as(name).containsExactly(file.shape(name));
                double[] doubles = file.readDoubles(name);
                assertThat(doubles).as(name).hasSize(Math.toIntExact(t.size()));
                for (int i = 0; i < doubles.length; i++) {
                    // value(k, i) = 10k - 1 + 0.25i, exact in every float dtype.
                    double expected = 10.0 * k - 1 + 0.25 * i;
                    assertThat(doubles[i]).as("%s[%d]", name, i).isEqualTo(expected);
                    assertThat(t.get(i)).as("%s[%d]", name, i).isEqualTo((float) expected);
                }
            }
        }
        assertThat(file.readLongs("i64_5")).containsExactly(
                -5, 3_000_000_000L - 5, 6_000_000_000L - 5, 9_000_000_000L - 5, 12_000_000_000L - 5);
        assertThat(file.readLongs("i32_2x2")).containsExactly(
                -2_000_000, 1_000_003 - 2_000_000, 2_000_006 - 2_000_000, 3_000_009 - 2_000_000);
        assertThat(file.shape("i32_2x2")).containsExactly(2, 2);
    }

    @Test
    void decodesHalfPrecisionExactlyAndRoundsDoublesLikeTorch() throws Exception {
        SafeTensorsFile file = SafeTensorsFile.read(fixture("exact_rounding.safetensors"));
        JsonNode expected;
        try (InputStream in = Files.newInputStream(fixture("exact_rounding.json"))) {
            expected = new ObjectMapper().readTree(in);
        }
        try (TensorArena arena = TensorArena.open("rounding")) {
            for (String name : List.of("f16", "bf16", "f32", "f64")) {
                double[] exact = hexDoubles(expected.get(name).get("exact"));
                assertSameBits(file.readDoubles(name), exact);
                float[] asFloat = read32(file, name, arena);
                if (name.equals("f64")) {
                    double[] torchF32 = hexDoubles(expected.get(name).get("as_f32"));
                    for (int i = 0; i < torchF32.length; i++) {
                        assertSameBits(asFloat[i], (float) torchF32[i], name + "[" + i + "]");
                    }
                } else {
                    // Narrow floats widen exactly, so float32 and float64 reads agree.
                    for (int i = 0; i < exact.length; i++) {
                        assertSameBits(asFloat[i], (float) exact[i], name + "[" + i + "]");
                    }
                }
            }
        }
    }

    @Test
    void readsNumpyFileWithoutMetadata() throws Exception {
        SafeTensorsFile file = SafeTensorsFile.read(fixture("numpy_no_metadata.safetensors"));
        assertThat(file.metadata()).isEmpty();
        assertThat(file.readLongs("counts")).containsExactly(7, -8, 9);
        assertThat(file.readDoubles("weights")).containsExactly(0.5, -1.5, 2.25, 1e300);
        try (TensorArena arena = TensorArena.open("numpy")) {
            // 1e300 is beyond float range: round to nearest gives infinity.
            assertThat(file.readFloat("weights", arena).toArray())
                    .containsExactly(0.5f, -1.5f, 2.25f, Float.POSITIVE_INFINITY);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Corrupt files: each is rejected by read() with a one-line message naming the file and key.

    @Test
    void rejectsFileShorterThanTheLengthField() throws IOException {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, new byte[]{1, 2, 3, 4, 5});
        assertRejected(file, null, "truncated", "5 bytes");
    }

    @Test
    void rejectsHeaderLengthPastTheEndOfTheFile() throws IOException {
        Path file = dir.resolve("past_end.safetensors");
        Files.write(file, concat(lengthField(1000), "{}".getBytes(StandardCharsets.UTF_8)));
        assertRejected(file, null, "header length 1000", "only 2 bytes");
    }

    @Test
    void rejectsHeaderOverTheSizeLimit() throws IOException {
        Path file = dir.resolve("huge_header.safetensors");
        Files.write(file, concat(lengthField(100_000_001), "{}".getBytes(StandardCharsets.UTF_8)));
        assertRejected(file, null, "100000001", "limit of 100000000");
        // 2^64 - 1 reads as -1 in a long; it must be reported as the unsigned number it is.
        Files.write(file, concat(lengthField(-1), "{}".getBytes(StandardCharsets.UTF_8)));
        assertRejected(file, null, "18446744073709551615");
    }

    @Test
    void rejectsHeaderThatIsNotJson() throws IOException {
        assertRejected(withHeader("{\"a\": {\"dtype\": \"F32\",", 0), null, "not valid JSON");
        assertRejected(withHeader("{\"a\": 1} trailing", 0), null, "not valid JSON");
        assertRejected(withHeader("", 0), null, "empty");
    }

    @Test
    void rejectsHeaderThatIsNotUtf8() throws IOException {
        byte[] header = "{\"\u00ff\": 1}".getBytes(StandardCharsets.ISO_8859_1);
        Path file = dir.resolve("latin1.safetensors");
        Files.write(file, concat(lengthField(header.length), header));
        assertRejected(file, null, "not valid UTF-8");
    }

    @Test
    void rejectsHeaderThatIsNotAnObject() throws IOException {
        assertRejected(withHeader("[1, 2]", 0), null, "JSON array, expected an object");
    }

    @Test
    void rejectsDuplicateKeys() throws IOException {
        String entry = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertRejected(withHeader("{\"w\":" + entry + ",\"w\":" + entry + "}", 4), null, "Duplicate", "'w'");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"shape\":[1],\"data_offsets\":[0,4]}                | no \"dtype\"",
            "{\"dtype\":\"F32\",\"data_offsets\":[0,4]}            | no \"shape\"",
            "{\"dtype\":\"F32\",\"shape\":[1]}                     | no \"data_offsets\"",
    })
    void rejectsEntryMissingAField(String entry, String expected) throws IOException {
        assertRejected(withHeader("{\"w\":" + entry + "}", 4), "w", expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"F32\"                                                       | is a JSON string, expected an object",
            "{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}           | JSON type number, expected a string",
            "{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}    | JSON type string, expected an array",
            "{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}    | 1.5 of JSON type number, expected an integer",
            "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}        | expected an array of two integers",
            "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"a\":0}}  | expected an array of two integers",
            "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,\"4\"]}  | expected an array of two integers",
    })
    void rejectsEntryFieldsOfTheWrongJsonType(String entry, String expected) throws IOException {
        assertRejected(withHeader("{\"w\":" + entry + "}", 4), "w", expected);
    }

    @Test
    void rejectsUnknownDtype() throws IOException {
        Path file = withHeader("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4);
        assertRejected(file, "w", "'F8_E4M3'", "expected one of F32, F64, F16, BF16, I64, I32");
        // The format's spelling is case-sensitive.
        assertRejected(withHeader("{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "w", "'f32'");
    }

    @Test
    void rejectsNegativeDimensions() throws IOException {
        Path file = withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,0]}}", 0);
        assertRejected(file, "w", "negative dimension -1");
    }

    @Test
    void rejectsDimensionsBeyondInt() throws IOException {
        Path file = withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,0],\"data_offsets\":[0,0]}}", 0);
        assertRejected(file, "w", "4294967296", "expected at most 2147483647");
    }

    @Test
    void rejectsDataOffsetsOutsideTheDataBuffer() throws IOException {
        assertRejected(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 12),
                "w", "[0,16]", "outside the data buffer", "[0, 12]");
        assertRejected(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 12),
                "w", "outside the data buffer");
        assertRejected(withHeader(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,18446744073709551616]}}", 12),
                "w", "outside the data buffer");
    }

    @Test
    void rejectsBeginAfterEnd() throws IOException {
        Path file = withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8);
        assertRejected(file, "w", "begin > end");
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        Path file = withHeader("{\"long\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"short\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"after\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16);
        assertRejected(file, "short", "overlapping key 'long'");
        // An empty tensor inside another's range shares no bytes and is fine.
        Path empty = withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 8);
        assertThat(SafeTensorsFile.read(empty).names()).containsExactly("a", "e");
    }

    @Test
    void rejectsByteCountThatDoesNotMatchShapeAndDtype() throws IOException {
        Path file = withHeader("{\"w\":{\"dtype\":\"F64\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 32);
        assertRejected(file, "w", "spanning 16 bytes", "expected 32 for F64 shape [2, 2]");
    }

    @Test
    void rejectsMetadataThatIsNotAStringMap() throws IOException {
        assertRejected(withHeader("{\"__metadata__\":{\"epoch\":3}}", 0),
                "__metadata__", "'epoch'", "JSON type number, expected a string");
        assertRejected(withHeader("{\"__metadata__\":[\"a\"]}", 0), "__metadata__", "JSON array");
    }

    @Test
    void keepsMessagesOnOneLineWhenNamesHoldLineBreaks() throws IOException {
        Path file = withHeader("{\"bad\\nname\":{\"dtype\":\"X\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        assertRejected(file, "bad\\nname", "'X'");
    }

    @Test
    void acceptsPaddingGapsAndTrailingBytes() throws IOException {
        Path file = withHeader("{\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"a\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}}          ", 20);
        SafeTensorsFile read = SafeTensorsFile.read(file);
        assertThat(read.names()).containsExactly("b", "a");
        assertThat(read.readLongs("a")).containsExactly(0);
    }

    // ---------------------------------------------------------------------------------------------
    // Callers' checks

    @Test
    void reportsWrongDtypeMissingKeyAndWrongShapeOnOneLine() throws IOException {
        Path path = dir.resolve("x.safetensors");
        new SafeTensorsWriter().putF32("weights", new float[]{1, 2}, 2).putI64("lengths", new long[]{3}, 1)
                .write(path);
        SafeTensorsFile file = SafeTensorsFile.read(path);
        try (TensorArena arena = TensorArena.open("checks")) {
            assertMessage(catchThrowableOfType(SafeTensorsException.class, () -> file.readFloat("lengths", arena)),
                    path, "lengths", "has dtype I64, expected F32, F64, F16 or BF16");
        }
        assertMessage(catchThrowableOfType(SafeTensorsException.class, () -> file.readLongs("weights")),
                path, "weights", "has dtype F32, expected I64 or I32");
        assertMessage(catchThrowableOfType(SafeTensorsException.class, () -> file.requireInteger("weights")),
                path, "weights", "expected I64 or I32");
        assertMessage(catchThrowableOfType(SafeTensorsException.class, () -> file.requireFloat("lengths")),
                path, "lengths", "expected F32");
        assertMessage(catchThrowableOfType(SafeTensorsException.class, () -> file.readDoubles("bias")),
                path, "bias", "is missing", "'weights', 'lengths'");
        assertMessage(catchThrowableOfType(SafeTensorsException.class, () -> file.requireShape("weights", 2, 1)),
                path, "weights", "has shape [2], expected [2, 1]");
        file.requireShape("weights", 2);
        file.requireFloat("weights");
        file.requireInteger("lengths");
        assertThat(file.contains("weights")).isTrue();
        assertThat(file.contains("__metadata__")).isFalse();
    }

    @Test
    void failsTensorReadsWhenTheFileChangedSinceTheHeaderWasRead() throws IOException {
        Path path = dir.resolve("changing.safetensors");
        new SafeTensorsWriter().putI64("a", new long[]{1}, 1).write(path);
        SafeTensorsFile file = SafeTensorsFile.read(path);
        new SafeTensorsWriter().putI64("a", new long[]{1, 2}, 2).write(path);
        assertMessage(catchThrowableOfType(SafeTensorsException.class, () -> file.readLongs("a")),
                path, null, "changed since its header was read");
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(SafeTensorsTest.class.getResource("/io/" + name).toURI());
    }

    /** A file with the given header text (UTF-8, unpadded) and {@code dataBytes} zero bytes of data. */
    private Path withHeader(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("corrupt-" + Integer.toHexString(header.hashCode()) + ".safetensors");
        Files.write(file, concat(concat(lengthField(json.length), json), new byte[dataBytes]));
        return file;
    }

    private static byte[] lengthField(long length) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void assertRejected(Path file, String key, String... fragments) {
        SafeTensorsException e = catchThrowableOfType(SafeTensorsException.class, () -> SafeTensorsFile.read(file));
        assertMessage(e, file, key, fragments);
    }

    /** One line, starting with the file's path, naming the key where there is one, holding each fragment. */
    private static void assertMessage(SafeTensorsException e, Path file, String key, String... fragments) {
        assertThat(e).as("expected a SafeTensorsException for %s", file).isNotNull();
        String message = e.getMessage();
        assertThat(message).doesNotContain("\n", "\r").startsWith(file + ": ");
        assertThat(e.file()).isEqualTo(file);
        if (key != null) {
            assertThat(message).contains("key '" + key + "'");
        }
        assertThat(message).contains(fragments);
    }

    private static double[] hexDoubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Double.parseDouble(array.get(i).textValue());
        }
        return out;
    }

    private static float[] read32(SafeTensorsFile file, String name, TensorArena arena) throws IOException {
        return file.readFloat(name, arena).toArray();
    }

    private static void assertSameBits(double[] actual, double[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            // NaN payloads may differ between producers; every other value must match bit for bit.
            if (Double.isNaN(expected[i])) {
                assertThat(actual[i]).as("[%d]", i).isNaN();
            } else {
                assertThat(Double.doubleToRawLongBits(actual[i])).as("[%d] %s vs %s", i, actual[i], expected[i])
                        .isEqualTo(Double.doubleToRawLongBits(expected[i]));
            }
        }
    }

    private static void assertSameBits(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertSameBits(actual[i], expected[i], "[" + i + "]");
        }
    }

    private static void assertSameBits(float actual, float expected, String what) {
        if (Float.isNaN(expected)) {
            assertThat(actual).as(what).isNaN();
        } else {
            assertThat(Float.floatToRawIntBits(actual)).as("%s: %s vs %s", what, actual, expected)
                    .isEqualTo(Float.floatToRawIntBits(expected));
        }
    }
}
