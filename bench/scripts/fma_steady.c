// Whether the host's compute is steady: each thread, pinned to its own CPU, runs 12 independent
// chains of AVX-512 FMAs (registers only, no memory traffic) and prints GFLOP/s per second. Beside
// read_placement.c (an L2-sized buffer) and step_gemm_tiles.c (the recurrent micro-kernel), it tells
// the host's noise in the caches from noise in the cores.
//   gcc -O3 -march=native bench/scripts/fma_steady.c -o /tmp/fma_steady -lpthread
//   /tmp/fma_steady 60 2          # seconds, threads (at most 2)
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { CHAINS = 12, MAX_THREADS = 2, MAX_SECONDS = 600 };
static int seconds_to_run;
static double rates[MAX_THREADS][MAX_SECONDS];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *work(void *arg) {
    long id = (long) arg;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(id, &cpus);
    sched_setaffinity(0, sizeof cpus, &cpus);
    __m512 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps(i * 1e-3f);
    __m512 scale = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-7f);
    for (int s = 0; s < seconds_to_run; s++) {
        double t0 = now();
        long rounds = 0;
        while (now() - t0 < 1.0) {
            for (int r = 0; r < 10000; r++)
                for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], scale, add);
            rounds += 10000;
        }
        rates[id][s] = rounds * CHAINS * 16 * 2 / (now() - t0) / 1e9;
    }
    float sum = 0;
    for (int i = 0; i < CHAINS; i++) sum += _mm512_reduce_add_ps(acc[i]);
    if (sum == 42) printf("(checksum hit)\n");   // keeps the chains live
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: fma_steady SECONDS THREADS\n"); return 2; }
    seconds_to_run = atoi(argv[1]);
    int threads = atoi(argv[2]);
    if (seconds_to_run < 1 || seconds_to_run > MAX_SECONDS || threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "fma_steady: SECONDS must be 1..%d and THREADS 1..%d\n", MAX_SECONDS, MAX_THREADS);
        return 2;
    }
    pthread_t t[MAX_THREADS];
    for (long i = 0; i < threads; i++) pthread_create(&t[i], 0, work, (void *) i);
    for (int i = 0; i < threads; i++) pthread_join(t[i], 0);
    for (int i = 0; i < threads; i++) {
        printf("cpu%d FMA GFLOP/s per second:", i);
        for (int s = 0; s < seconds_to_run; s++) printf(" %.0f", rates[i][s]);
        printf("\n");
    }
    return 0;
}
