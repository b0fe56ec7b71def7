// The recurrent step's GEMM at LSTM B = 64, H = 512, one core's half, in C: gh[64, 1024] =
// h[64, 512] . W[512, 1024], W in 16 k-major packed panels of 512 x 64 floats (128 KiB, as
// FusedRecurrence packs them), panel outermost. Compares register tiles (ROWS batch rows x 4
// vectors of 16 floats) and k-blocking (KC packed rows per pass: KC x 256 B of the panel kept in
// L1, the accumulators stored and reloaded between passes), one thread, 1 s each, three rounds.
// With "steady SECONDS" it runs the 4-row tile on both CPUs at once and prints GFLOP/s per second.
//   gcc -O3 -march=native bench/scripts/step_gemm_tiles.c -o /tmp/step_gemm_tiles -lpthread
//   /tmp/step_gemm_tiles; /tmp/step_gemm_tiles steady 40
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { B = 64, K = 512, COLS = 1024, PANEL = 64, MAX_SECONDS = 600 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// out[R rows][4 vectors] (+)= h[R rows, k0..k1) . panel[k0..k1, 4 vectors]
#define TILE(R)                                                                                   \
    static void tile##R(const float *h, const float *panel, float *out, int k0, int k1, int add) { \
        __m512 a[R][4];                                                                           \
        for (int i = 0; i < R; i++)                                                               \
            for (int v = 0; v < 4; v++)                                                           \
                a[i][v] = add ? _mm512_load_ps(out + i * COLS + v * 16) : _mm512_setzero_ps();    \
        for (int k = k0; k < k1; k++) {                                                           \
            const float *w = panel + k * PANEL;                                                   \
            __m512 w0 = _mm512_load_ps(w), w1 = _mm512_load_ps(w + 16);                           \
            __m512 w2 = _mm512_load_ps(w + 32), w3 = _mm512_load_ps(w + 48);                      \
            for (int i = 0; i < R; i++) {                                                         \
                __m512 x = _mm512_set1_ps(h[i * K + k]);                                          \
                a[i][0] = _mm512_fmadd_ps(x, w0, a[i][0]);                                        \
                a[i][1] = _mm512_fmadd_ps(x, w1, a[i][1]);                                        \
                a[i][2] = _mm512_fmadd_ps(x, w2, a[i][2]);                                        \
                a[i][3] = _mm512_fmadd_ps(x, w3, a[i][3]);                                        \
            }                                                                                     \
        }                                                                                         \
        for (int i = 0; i < R; i++)                                                               \
            for (int v = 0; v < 4; v++) _mm512_store_ps(out + i * COLS + v * 16, a[i][v]);        \
    }
TILE(1) TILE(2) TILE(4) TILE(6)

static void tile(int rows, const float *h, const float *panel, float *out, int k0, int k1, int add) {
    switch (rows) {
        case 6: tile6(h, panel, out, k0, k1, add); break;
        case 4: tile4(h, panel, out, k0, k1, add); break;
        case 2: tile2(h, panel, out, k0, k1, add); break;
        default: tile1(h, panel, out, k0, k1, add);
    }
}

static void step(int rows, int kc, const float *h, const float *w, float *gh) {
    for (int p = 0; p < COLS / PANEL; p++) {
        const float *panel = w + (long) p * K * PANEL;
        for (int k0 = 0; k0 < K; k0 += kc) {
            int k1 = k0 + kc < K ? k0 + kc : K;
            for (int b = 0; b < B;) {
                int r = B - b >= rows ? rows : B - b >= 4 ? 4 : B - b >= 2 ? 2 : 1;
                tile(r, h + b * K, panel, gh + (long) b * COLS + p * PANEL, k0, k1, k0 > 0);
                b += r;
            }
        }
    }
}

typedef struct { float *h, *w, *gh; } Operands;

static Operands operands(void) {
    Operands o = { aligned_alloc(64, sizeof(float) * B * K), aligned_alloc(64, sizeof(float) * K * COLS),
                   aligned_alloc(64, sizeof(float) * B * COLS) };
    for (long i = 0; i < (long) B * K; i++) o.h[i] = (i % 7) * 0.01f;
    for (long i = 0; i < (long) K * COLS; i++) o.w[i] = (i % 13) * 0.001f;
    return o;
}

static int steady_seconds;
static double steady_rates[2][MAX_SECONDS];
static pthread_barrier_t start_together;

static void *steady(void *arg) {
    long id = (long) arg;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(id, &cpus);
    sched_setaffinity(0, sizeof cpus, &cpus);
    Operands o = operands();
    pthread_barrier_wait(&start_together);
    for (int s = 0; s < steady_seconds; s++) {
        double t0 = now();
        long n = 0;
        while (now() - t0 < 1.0) { step(4, K, o.h, o.w, o.gh); n++; }
        steady_rates[id][s] = n * 2.0 * B * K * COLS / (now() - t0) / 1e9;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "steady") == 0) {
        steady_seconds = atoi(argv[2]);
        if (steady_seconds < 1 || steady_seconds > MAX_SECONDS) { fprintf(stderr, "step_gemm_tiles: SECONDS must be 1..%d\n", MAX_SECONDS); return 2; }
        pthread_barrier_init(&start_together, 0, 2);
        pthread_t t[2];
        for (long i = 0; i < 2; i++) pthread_create(&t[i], 0, steady, (void *) i);
        for (int i = 0; i < 2; i++) pthread_join(t[i], 0);
        for (int i = 0; i < 2; i++) {
            printf("cpu%d 4-row tile GFLOP/s per second:", i);
            for (int s = 0; s < steady_seconds; s++) printf(" %.0f", steady_rates[i][s]);
            printf("\n");
        }
        return 0;
    }
    if (argc != 1) { fprintf(stderr, "usage: step_gemm_tiles [steady SECONDS]\n"); return 2; }
    Operands o = operands();
    int rows[] = { 4, 6, 4, 6, 4, 6 }, kcs[] = { 512, 512, 128, 128, 64, 64 };
    for (int round = 0; round < 3; round++) {
        for (int v = 0; v < 6; v++) {
            double t0 = now();
            long n = 0;
            while (now() - t0 < 1.0) { step(rows[v], kcs[v], o.h, o.w, o.gh); n++; }
            printf("rows %d kc %3d: %.0f GFLOP/s\n", rows[v], kcs[v], n * 2.0 * B * K * COLS / (now() - t0) / 1e9);
        }
    }
    return 0;
}
