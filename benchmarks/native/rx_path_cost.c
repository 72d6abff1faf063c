/* Instruction-count driver for the per-frame receive work (resample, 10 ms
 * cut, labels, VAD) of many remote users, for callgrind: deterministic, so
 * before/after numbers of an optimisation are comparable on a shared machine.
 *
 *   python - <<'X'                       # the benchmarks' speech signal (16 kHz mono int16)
 *   import sys; sys.path.insert(0, "benchmarks"); import bench_dispatch as bd
 *   bd.speech_signal(60.0).tofile("/tmp/speech16k.raw")
 *   X
 *   cmake -S . -B build/native-rel && cmake --build build/native-rel --target agora_native
 *   gcc -std=c11 -O2 -g -Isrc/_native/include -Isrc/_native benchmarks/native/rx_path_cost.c \
 *       build/native-rel/libagora_native.a -lopus -lsrtp2 -lspeexdsp -lpthread -lm -o /tmp/rx_cost
 *   valgrind --tool=callgrind /tmp/rx_cost /tmp/speech16k.raw 200 300
 *
 * Arguments: raw file, streams, frames per stream[, observer rate, channels] (the
 * labels and the VAD run at the observer's format). Each stream reads the signal
 * from its own offset; frames are fed round-robin (one frame of every stream,
 * then the next), as the I/O thread does. Prints a checksum of every output
 * (labels, VAD state and bytes) so runs can be compared for identical output. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audio/receive/receive_path.h"
#include "driver_util.h"

typedef struct sink {
    uint64_t hash;
    long frames, speech;
} sink;

static void on_frame(void *ctx, const agora_rx_path *rx, const agora_audio_frame *frame,
                     const agora_vad_result *vad)
{
    (void)rx;
    sink *s = ctx;
    s->frames++;
    int lab[4] = {frame->labels.rms, frame->labels.voice_prob, frame->labels.pitch_hz,
                  (int)(frame->labels.dbfs * 1000.0f)};
    s->hash = mix(s->hash, lab, sizeof lab);
    if (vad) {
        s->hash = mix(s->hash, &vad->state, sizeof vad->state);
        if (vad->length)
            s->hash = mix(s->hash, vad->bytes, vad->length);
        s->speech += vad->state != 0;
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s speech16k.raw streams frames\n", argv[0]);
        return 2;
    }
    long nsamp;
    int16_t *sig = read_raw_s16(argv[1], &nsamp);
    if (!sig)
        return 2;
    int n = atoi(argv[2]), k = atoi(argv[3]);
    int out_rate = argc > 4 ? atoi(argv[4]) : 16000, out_ch = argc > 5 ? atoi(argv[5]) : 1;
    agora_rx_path **rx = calloc((size_t)n, sizeof(*rx));
    agora_vad_config cfg;
    agora_vad_config_default(&cfg);
    for (int i = 0; i < n; i++) {
        char uid[32];
        snprintf(uid, sizeof uid, "u%d", i);
        rx[i] = agora_rx_new(uid);
    }
    sink s = {1469598103934665603ULL, 0, 0};
    long frame_len = 160, nframes = nsamp / frame_len;
    agora_sent_frame *in = agora_sent_frame_new(16000, 1, 160);
    if (!in)
        return 2;
    for (int f = 0; f < k; f++)
        for (int i = 0; i < n; i++) {
            long at = ((long)i * 37 + f) % (nframes - 1);
            memcpy(in->pcm, sig + at * frame_len, sizeof(int16_t) * 160);
            agora_rx_feed(rx[i], in, out_rate, out_ch, &cfg, 1, 0, on_frame, &s);
        }
    agora_sent_frame_unref(in);
    printf("frames %ld speech %ld hash %016llx\n", s.frames, s.speech, (unsigned long long)s.hash);
    for (int i = 0; i < n; i++)
        agora_rx_free(rx[i]);
    free(rx);
    free(sig);
    return 0;
}
