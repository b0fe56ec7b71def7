package dev.recur.engine.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdxReaderTest {
    @TempDir
    Path dir;

    /** An IDX file: magic 0 0 dtype rank, big-endian dims, then {@code data}. */
    static byte[] idx(int dtype, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) dtype).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    @Test
    void readsGzipAndPlainUbyteArrays() throws IOException {
        byte[] data = new byte[2 * 3 * 4];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 11);
        }
        byte[] raw = idx(0x08, new int[]{2, 3, 4}, data);
        Path gz = Files.write(dir.resolve("a-idx3-ubyte.gz"), gzip(raw));
        Path plain = Files.write(dir.resolve("a-idx3-ubyte"), raw);
        for (Path p : new Path[]{gz, plain}) {
            IdxReader.IdxArray a = IdxReader.read(p);
            assertThat(a.dtype()).isEqualTo(IdxReader.Dtype.UBYTE);
            assertThat(a.dims()).containsExactly(2, 3, 4);
            assertThat(a.size()).isEqualTo(24);
            assertThat(a.get(23)).isEqualTo((23 * 11) & 0xff); // unsigned: 253, not -3
            a.requireInnerDims(3, 4);
        }
    }

    @Test
    void readsOtherDtypesBigEndian() throws IOException {
        ByteBuffer f = ByteBuffer.allocate(8).putFloat(1.5f).putFloat(-2f);
        IdxReader.IdxArray a = IdxReader.read(Files.write(dir.resolve("f"), idx(0x0D, new int[]{2}, f.array())));
        assertThat(a.get(0)).isEqualTo(1.5);
        assertThat(a.get(1)).isEqualTo(-2.0);
        ByteBuffer i = ByteBuffer.allocate(4).putInt(-70000);
        assertThat(IdxReader.read(Files.write(dir.resolve("i"), idx(0x0C, new int[]{1}, i.array()))).get(0))
                .isEqualTo(-70000);
    }

    @Test
    void missingFileIsOneLine() {
        Path p = dir.resolve("nope.gz");
        assertThatThrownBy(() -> IdxReader.read(p)).isInstanceOf(DataFileException.class)
                .hasMessage(p + ": IDX file does not exist");
        assertThatThrownBy(() -> IdxReader.read(dir)).hasMessage(dir + ": is a folder, expected a file (IDX file)");
    }

    @Test
    void malformedMagicNamesFileAndExpectation() throws IOException {
        byte[] raw = idx(0x08, new int[]{1}, new byte[1]);
        raw[1] = 0x42;
        Path p = Files.write(dir.resolve("bad.gz"), gzip(raw));
        assertThatThrownBy(() -> IdxReader.read(p)).isInstanceOf(DataFileException.class)
                .hasMessage(p + ": not an IDX file: magic number starts 0x00 0x42 (after gunzip), expected 0x00 0x00");
    }

    @Test
    void unknownDtypeAndZeroRankAreRefused() throws IOException {
        Path dtype = Files.write(dir.resolve("dtype"), idx(0x07, new int[]{1}, new byte[1]));
        assertThatThrownBy(() -> IdxReader.read(dtype)).hasMessageStartingWith(dtype + ": IDX dtype byte 0x07 is unknown");
        Path rank = Files.write(dir.resolve("rank"), new byte[]{0, 0, 8, 0});
        assertThatThrownBy(() -> IdxReader.read(rank)).hasMessage(rank + ": IDX rank byte is 0, expected at least 1 dimension");
    }

    @Test
    void truncatedHeaderAndDataAreReported() throws IOException {
        Path shortHeader = Files.write(dir.resolve("h"), new byte[]{0, 0, 8});
        assertThatThrownBy(() -> IdxReader.read(shortHeader)).isInstanceOf(DataFileException.class)
                .hasMessage(shortHeader + ": truncated IDX header: 3 bytes, expected at least 4 (0x00 0x00, dtype, rank)");
        byte[] raw = idx(0x08, new int[]{3, 2, 2}, new byte[12]);
        Path shortDims = Files.write(dir.resolve("d"), Arrays.copyOf(raw, 10));
        assertThatThrownBy(() -> IdxReader.read(shortDims))
                .hasMessage(shortDims + ": truncated IDX header: 10 bytes, expected 16 for 3 dimensions");
        Path shortData = Files.write(dir.resolve("x.gz"), gzip(Arrays.copyOf(raw, raw.length - 5)));
        assertThatThrownBy(() -> IdxReader.read(shortData)).isInstanceOf(DataFileException.class)
                .hasMessage(shortData + ": truncated IDX data: 7 bytes (after gunzip) after the header, expected 12"
                        + " for dimensions [3, 2, 2] of ubyte");
    }

    @Test
    void truncatedGzipStreamAndTrailingBytesAreReported() throws IOException {
        byte[] gz = gzip(idx(0x08, new int[]{100}, new byte[100]));
        Path cut = Files.write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length - 12));
        assertThatThrownBy(() -> IdxReader.read(cut)).isInstanceOf(DataFileException.class)
                .hasMessageStartingWith(cut + ": ").hasMessageNotContaining("\n");
        byte[] raw = idx(0x08, new int[]{2}, new byte[3]);
        Path extra = Files.write(dir.resolve("extra"), raw);
        assertThatThrownBy(() -> IdxReader.read(extra))
                .hasMessage(extra + ": has bytes after the 2 bytes of IDX data for dimensions [2], expected the file to end there");
    }

    @Test
    void wrongInnerDimsNameTheExpectation() throws IOException {
        IdxReader.IdxArray a = IdxReader.read(Files.write(dir.resolve("w"), idx(0x08, new int[]{2, 27, 28}, new byte[2 * 27 * 28])));
        assertThatThrownBy(() -> a.requireInnerDims(28, 28))
                .hasMessage(dir.resolve("w") + ": has dimensions [2, 27, 28], expected [N, 28, 28]");
    }
}
