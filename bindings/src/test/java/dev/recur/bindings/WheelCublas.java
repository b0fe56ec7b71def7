package dev.recur.bindings;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The nvidia-cublas wheel that .ci/fetch-cublas unpacks for the tests (surefire points at it). */
public final class WheelCublas {
    private WheelCublas() { }

    /** The unpacked wheel: include/ and lib/. */
    public static Path home() {
        return Path.of(System.getProperty("recur.test.cublasHome", "../.whl/cublas"));
    }

    /** Skips the calling test, saying why, unless the wheel's library is there and RECUR_CUBLAS_LIB names it. */
    public static void assumeLibrary() {
        String library = System.getenv("RECUR_CUBLAS_LIB");
        assumeTrue(library != null && Files.isRegularFile(Path.of(library)),
                "libcublas.so.13 from the nvidia-cublas wheel is not unpacked (RECUR_CUBLAS_LIB=" + library
                        + "); run .ci/fetch-cublas to fetch it");
    }

    /** Skips the calling test, saying why, unless the wheel's headers are there. */
    public static void assumeHeaders() {
        assumeTrue(Files.isRegularFile(home().resolve("include/cublas_api.h")),
                "the cuBLAS headers are not unpacked in " + home().toAbsolutePath().normalize() + "; run .ci/fetch-cublas to fetch them");
    }
}
