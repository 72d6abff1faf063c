/* Bit-exactness check of the audio labels: runs the analyser over the
 * benchmarks' speech signal at several rates and prints a hash of every
 * frame's 28 features (their float bits) and labels. An optimisation of
 * audio_labels.c must leave every hash unchanged.
 *
 *   gcc -std=c11 -O3 -Isrc/_native/include -DAGORA_LABELS_EXPORT_FEATURES \
 *       benchmarks/native/labels_bits.c src/_native/audio/dsp/audio_labels.c -lm -o /tmp/labels_bits
 *   /tmp/labels_bits /tmp/speech16k.raw      (the raw file: see rx_path_cost.c) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/audio_labels.h"
#include "driver_util.h"

int agora_label_analyzer_features(const agora_label_analyzer *a, float *out, int n);

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    long n16;
    int16_t *sig = read_raw_s16(argv[1], &n16);
    if (!sig)
        return 2;
    static const int rates[] = {8000, 16000, 24000, 32000, 44100, 48000, 11000};
    for (int r = 0; r < (int)(sizeof rates / sizeof rates[0]); r++)
        for (int ch = 1; ch <= 2; ch++) {
            int rate = rates[r], spc = rate / 100;
            agora_label_analyzer *a = agora_label_analyzer_create(rate, ch);
            if (!a)
                return 1;
            int16_t *fr = malloc(sizeof(int16_t) * (size_t)spc * (size_t)ch);
            uint64_t h = 1469598103934665603ULL;
            long frames = n16 / 160;
            for (long f = 0; f < frames; f++) {
                /* nearest-sample rate change, channel 2 a scaled copy: only the input has to be fixed */
                for (int i = 0; i < spc; i++) {
                    long src = f * 160 + (long)i * 160 / spc;
                    for (int c = 0; c < ch; c++)
                        fr[i * ch + c] = (int16_t)(c ? sig[src] / 2 : sig[src]);
                }
                if (f % 997 == 500)
                    memset(fr, 0, sizeof(int16_t) * (size_t)spc * (size_t)ch); /* digital silence */
                agora_audio_labels lab;
                if (agora_label_analyzer_process(a, fr, spc, &lab) != 0)
                    return 1;
                float feat[64];
                int nf = agora_label_analyzer_features(a, feat, 64);
                h = mix(h, feat, sizeof(float) * (size_t)nf);
                h = mix(h, &lab, sizeof lab);
            }
            printf("%5d Hz x%d: %016llx\n", rate, ch, (unsigned long long)h);
            free(fr);
            agora_label_analyzer_destroy(a);
        }
    free(sig);
    return 0;
}
