// Whether a launch's memory placement changes what an L2-sized working set costs: one process
// streams one buffer (default 1024 KiB, the Zen 5 L2) with AVX-512 loads for a few seconds and
// prints GB/s per second. Run it many times: within a launch the figure is steady, between
// launches it moves with the physical pages the buffer got (4 KiB pages land anywhere in the L2's
// sets). HUGE=1 backs the buffer with a transparent 2 MiB page (madvise), one contiguous stretch.
//   gcc -O2 -mavx512f bench/scripts/read_placement.c -o /tmp/read_placement
//   for i in $(seq 12); do /tmp/read_placement 1024 2; HUGE=1 /tmp/read_placement 1024 2; done
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    size_t kib = argc > 1 ? (size_t) atoi(argv[1]) : 1024;
    int runSeconds = argc > 2 ? atoi(argv[2]) : 3;
    size_t floats = kib * 1024 / sizeof(float), huge = 2u << 20;
    size_t allocated = (floats * sizeof(float) + huge - 1) / huge * huge;
    float *a = aligned_alloc(huge, allocated);
    int advised = getenv("HUGE") != NULL;
    if (advised) madvise(a, allocated, MADV_HUGEPAGE);
    for (size_t i = 0; i < floats; i++) a[i] = (float) i * 1e-7f;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    printf("%zu KiB%s, GB/s per second:", kib, advised ? " (huge page)" : "");
    for (int s = 0; s < runSeconds; s++) {
        double t0 = seconds(), bytes = 0;
        while (seconds() - t0 < 1.0) {
            for (size_t i = 0; i < floats; i += 64) {
                s0 = _mm512_add_ps(s0, _mm512_load_ps(a + i));
                s1 = _mm512_add_ps(s1, _mm512_load_ps(a + i + 16));
                s2 = _mm512_add_ps(s2, _mm512_load_ps(a + i + 32));
                s3 = _mm512_add_ps(s3, _mm512_load_ps(a + i + 48));
            }
            bytes += floats * sizeof(float);
        }
        printf(" %.0f", bytes / (seconds() - t0) / 1e9);
    }
    float sum[16];
    _mm512_storeu_ps(sum, _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    printf("   (checksum %g)\n", sum[0]);
    return 0;
}
