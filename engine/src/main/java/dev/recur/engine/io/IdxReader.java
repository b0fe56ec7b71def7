package dev.recur.engine.io;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed (recognised by the
 * gzip magic bytes, whatever the file name).
 *
 * <p>Layout (LeCun et al., "THE MNIST DATABASE of handwritten digits"), all integers big-endian:
 * <pre>
 * [0, 2)            0x00 0x00
 * [2]               dtype: 0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
 * [3]               rank r (number of dimensions), at least 1
 * [4, 4+4r)         dimensions, unsigned 32-bit each (they must fit in an int here)
 * [4+4r, ...)       data, row-major, exactly prod(dims) elements; nothing may follow
 * </pre>
 * Every problem is reported as one {@link DataFileException} line naming the file and what was expected.
 */
public final class IdxReader {
    private static final int GZIP_MAGIC = 0x1f8b;

    private IdxReader() {
    }

    /** The IDX element types. */
    public enum Dtype {
        UBYTE(0x08, 1), BYTE(0x09, 1), INT16(0x0B, 2), INT32(0x0C, 4), FLOAT32(0x0D, 4), FLOAT64(0x0E, 8);

        final int code;
        final int byteSize;

        Dtype(int code, int byteSize) {
            this.code = code;
            this.byteSize = byteSize;
        }

        static Dtype of(int code) {
            for (Dtype d : values()) {
                if (d.code == code) {
                    return d;
                }
            }
            return null;
        }
    }

    /** An IDX array: its dtype, dimensions and raw big-endian data. */
    public record IdxArray(Path file, Dtype dtype, int[] dims, ByteBuffer data) {
        public IdxArray {
            dims = dims.clone();
            data = data.asReadOnlyBuffer().order(ByteOrder.BIG_ENDIAN);
        }

        @Override
        public int[] dims() {
            return dims.clone();
        }

        public int rank() {
            return dims.length;
        }

        public int dim(int axis) {
            return dims[axis];
        }

        public long size() {
            return data.capacity() / dtype.byteSize;
        }

        /** Element {@code i} (flat, row-major) as a double; UBYTE reads 0..255. */
        public double get(int i) {
            return switch (dtype) {
                case UBYTE -> data.get(i) & 0xff;
                case BYTE -> data.get(i);
                case INT16 -> data.getShort(i * 2);
                case INT32 -> data.getInt(i * 4);
                case FLOAT32 -> data.getFloat(i * 4);
                case FLOAT64 -> data.getDouble(i * 8);
            };
        }

        /** Throws a one-line error unless the dimensions after the first are exactly {@code inner}. */
        public void requireInnerDims(int... inner) throws DataFileException {
            if (dims.length != inner.length + 1 || !Arrays.equals(dims, 1, dims.length, inner, 0, inner.length)) {
                int[] expected = new int[inner.length + 1];
                System.arraycopy(inner, 0, expected, 1, inner.length);
                throw new DataFileException(file, "has dimensions " + Arrays.toString(dims) + ", expected [N"
                        + Arrays.toString(expected).substring(2));
            }
        }
    }

    /** Reads the whole file; see the class comment for what is checked. */
    public static IdxArray read(Path file) throws IOException {
        DataFileException.requireFile(file, "IDX file");
        boolean gzip;
        try (InputStream raw = Files.newInputStream(file)) {
            int b0 = raw.read();
            int b1 = raw.read();
            gzip = b0 >= 0 && b1 >= 0 && ((b0 << 8) | b1) == GZIP_MAGIC;
        }
        String form = gzip ? " (after gunzip)" : "";
        try (InputStream in = new BufferedInputStream(gzip
                ? new GZIPInputStream(Files.newInputStream(file), 1 << 16) : Files.newInputStream(file), 1 << 16)) {
            byte[] head = readUpTo(in, 4);
            if (head.length < 4) {
                throw new DataFileException(file, "truncated IDX header: " + head.length + " bytes" + form
                        + ", expected at least 4 (0x00 0x00, dtype, rank)");
            }
            if (head[0] != 0 || head[1] != 0) {
                throw new DataFileException(file, String.format(
                        "not an IDX file: magic number starts 0x%02x 0x%02x%s, expected 0x00 0x00",
                        head[0] & 0xff, head[1] & 0xff, form));
            }
            Dtype dtype = Dtype.of(head[2] & 0xff);
            if (dtype == null) {
                throw new DataFileException(file, String.format("IDX dtype byte 0x%02x is unknown, expected one of"
                        + " 0x08 (ubyte), 0x09, 0x0B, 0x0C, 0x0D, 0x0E", head[2] & 0xff));
            }
            int rank = head[3] & 0xff;
            if (rank == 0) {
                throw new DataFileException(file, "IDX rank byte is 0, expected at least 1 dimension");
            }
            byte[] dimBytes = readUpTo(in, 4 * rank);
            if (dimBytes.length < 4 * rank) {
                throw new DataFileException(file, "truncated IDX header: " + (4 + dimBytes.length) + " bytes" + form
                        + ", expected " + (4 + 4 * rank) + " for " + rank + " dimensions");
            }
            ByteBuffer dimBuffer = ByteBuffer.wrap(dimBytes).order(ByteOrder.BIG_ENDIAN);
            int[] dims = new int[rank];
            long count = 1;
            for (int a = 0; a < rank; a++) {
                long d = Integer.toUnsignedLong(dimBuffer.getInt(4 * a));
                if (d > Integer.MAX_VALUE) {
                    throw new DataFileException(file, "IDX dimension " + a + " is " + d + ", more than this reader supports");
                }
                dims[a] = (int) d;
                count *= d;
                if (count * dtype.byteSize > Integer.MAX_VALUE - 8) {
                    throw new DataFileException(file, "IDX dimensions " + Arrays.toString(Arrays.copyOf(dims, a + 1))
                            + " hold more data than this reader supports (2 GB)");
                }
            }
            int dataBytes = (int) (count * dtype.byteSize);
            byte[] data = readUpTo(in, dataBytes);
            if (data.length < dataBytes) {
                throw new DataFileException(file, "truncated IDX data: " + data.length + " bytes" + form
                        + " after the header, expected " + dataBytes + " for dimensions " + Arrays.toString(dims)
                        + " of " + dtype.name().toLowerCase());
            }
            if (in.read() >= 0) {
                throw new DataFileException(file, "has bytes after the " + dataBytes + " bytes of IDX data for dimensions "
                        + Arrays.toString(dims) + form + ", expected the file to end there");
            }
            return new IdxArray(file, dtype, dims, ByteBuffer.wrap(data));
        } catch (EOFException | ZipException e) {
            // GZIPInputStream: a truncated or corrupt gzip stream.
            throw new DataFileException(file, "corrupt or truncated gzip data (" + e.getMessage() + ")", e);
        }
    }

    private static byte[] readUpTo(InputStream in, int n) throws IOException {
        return in.readNBytes(n);
    }
}
