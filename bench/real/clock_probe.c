/* The core's clock while it runs scalar code: a chain of dependent 64-bit adds retires one add per cycle, so
 * adds per second is cycles per second. Build and run: cc -O1 -o /tmp/clock_probe clock_probe.c && /tmp/clock_probe
 * (openvino_core.py's results quote it; a core running AVX-512 or AMX code may hold a lower clock). */
#include <stdio.h>
#include <time.h>

int main(void) {
    const long n = 2000000000L;
    long x = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        __asm__ volatile("add $1, %0" : "+r"(x));
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    printf("%.3f GHz (%ld dependent adds in %.3f s)\n", (double)n / s / 1e9, x, s);
    return 0;
}
