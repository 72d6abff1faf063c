/* Shared by the manual C drivers in this folder: the raw speech file and the
 * output hash (FNV-1a 64), so their checksums are computed the same way. */
#ifndef AGORA_BENCH_DRIVER_UTIL_H
#define AGORA_BENCH_DRIVER_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* The whole file as native-endian int16 samples (malloc'd); NULL on error. */
static inline int16_t *read_raw_s16(const char *path, long *count)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp) / 2;
    fseek(fp, 0, SEEK_SET);
    int16_t *sig = n > 0 ? malloc(sizeof(int16_t) * (size_t)n) : NULL;
    if (sig && fread(sig, 2, (size_t)n, fp) != (size_t)n) {
        free(sig);
        sig = NULL;
    }
    fclose(fp);
    *count = n;
    return sig;
}

#endif
