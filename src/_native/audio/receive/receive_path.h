/* The receive path of one remote user as heard by one connection:
 * frames in the sender's format -> resampler -> 10 ms frames in the
 * observer's format -> labels -> VAD. Runs on the I/O thread only. */
#ifndef AGORA_RTC_RECEIVE_PATH_H
#define AGORA_RTC_RECEIVE_PATH_H

#include <stdint.h>
#include "agora_rtc/audio_frame.h"
#include "agora_rtc/audio_processing.h"
#include "agora_rtc/connection.h"
#include "agora_rtc/vad.h"
#include "audio/dsp/resampler.h"
#include "audio/send/sent_frame.h"

typedef struct agora_rx_path {
    struct agora_rx_path *next;
    char uid[AGORA_MAX_ID_LEN + 1];
    int in_rate, in_ch, out_rate, out_ch;
    unsigned obs_gen;          /* observer generation this path was built for */
    agora_resampler *resampler;
    int16_t *acc;              /* resampled samples not yet cut into a frame */
    int acc_frames, acc_cap;
    int apm_flags;             /* AGORA_APM_* the path was built with */
    agora_apm *apm;            /* NULL when apm_flags is 0 */
    agora_label_analyzer *labels;
    agora_vad *vad;            /* NULL when VAD is off */
    int first_frame_seen;
    /* receive pool (I/O thread, while queuing jobs): this path's last job in the
     * pending batch, valid when pool_batch equals the pool's batch number */
    unsigned pool_batch;
    int pool_last;
    uint64_t frames_in;        /* frames fed (as received, before conversion) */
    uint64_t bytes_in;         /* their PCM bytes */
} agora_rx_path;

/* One output frame, handed to the emit callback; frame->buffer and the VAD
 * bytes are borrowed for the duration of the call. */
typedef void (*agora_rx_emit_fn)(void *ctx, const agora_rx_path *rx,
                                 const agora_audio_frame *frame,
                                 const agora_vad_result *vad);

agora_rx_path *agora_rx_new(const char *uid);
void agora_rx_free(agora_rx_path *rx);
/* Cache hint for a path whose frame comes next: the path, its analyser state
 * (labels: rx->labels as read when the job was made, so that this hint does
 * not wait for the cold path itself) and the frame. Hints only: any of them
 * may be NULL or stale. Only the thread that will run the path may call it. */
void agora_rx_prefetch(const agora_rx_path *rx, const agora_label_analyzer *labels,
                       const agora_sent_frame *frame);
/* Feed one frame of the remote user. The path (re)builds its converters when
 * the input or output format, the observer generation or the APM flags
 * changed (a format change resets that user's VAD). apm_flags (AGORA_APM_*)
 * process each output frame before its labels. Returns 0 or a negative error code. */
int agora_rx_feed(agora_rx_path *rx, const agora_sent_frame *in, int out_rate, int out_ch,
                  const agora_vad_config *vad_cfg, unsigned obs_gen, int apm_flags,
                  agora_rx_emit_fn emit, void *ctx);

#endif
