// Read bandwidth per core by working-set size: the ceiling a batch-1 recurrent step streams W_hh
// against (docs/performance.md, "Latency"). Each thread sums its own buffer of the given size over
// and over with AVX-512 loads (8 independent chains), 1 thread and then 2 at once.
//   gcc -O2 -mavx512f -pthread bench/scripts/read_bandwidth.c -o /tmp/read_bandwidth && /tmp/read_bandwidth
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t bytes;
static int repeats;

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *stream(void *result) {
    float *a = aligned_alloc(64, bytes);
    size_t n = bytes / sizeof(float);
    for (size_t i = 0; i < n; i++) a[i] = 1.0f;
    __m512 s[8];
    for (int j = 0; j < 8; j++) s[j] = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) s[0] = _mm512_add_ps(s[0], _mm512_load_ps(a + i));  // warm the caches
    double t0 = seconds();
    for (int r = 0; r < repeats; r++) {
        for (size_t i = 0; i < n; i += 128) {
            for (int j = 0; j < 8; j++) s[j] = _mm512_add_ps(s[j], _mm512_load_ps(a + i + 16 * j));
        }
    }
    double t = seconds() - t0;
    for (int j = 1; j < 8; j++) s[0] = _mm512_add_ps(s[0], s[j]);
    volatile float sink = _mm512_reduce_add_ps(s[0]);
    (void) sink;
    *(double *) result = (double) bytes * repeats / t / 1e9;
    free(a);
    return NULL;
}

int main(void) {
    size_t kib[] = {256, 512, 1024, 1536, 2048, 4096, 8192, 16384, 65536};
    printf("%-12s %22s %22s\n", "KiB/thread", "1 thread: GB/s", "2 threads: GB/s each");
    for (size_t k = 0; k < sizeof kib / sizeof kib[0]; k++) {
        bytes = kib[k] * 1024;
        repeats = (int) (4e9 / bytes) + 1;
        double gb[2][2];
        for (int threads = 1; threads <= 2; threads++) {
            pthread_t id[2];
            for (int i = 0; i < threads; i++) pthread_create(&id[i], NULL, stream, &gb[threads - 1][i]);
            for (int i = 0; i < threads; i++) pthread_join(id[i], NULL);
        }
        printf("%-12zu %22.0f %15.0f, %4.0f\n", kib[k], gb[0][0], gb[1][0], gb[1][1]);
    }
    return 0;
}
