#include <stdlib.h>
#include <string.h>
#include "agora_rtc/errors.h"
#include "core/uid_set.h"
#include "audio/dsp/label_prefetch.h"
#include "audio/receive/receive_path.h"

agora_rx_path *agora_rx_new(const char *uid)
{
    agora_rx_path *rx = calloc(1, sizeof(*rx));
    if (!rx)
        return NULL;
    agora_copy_id(rx->uid, uid);
    return rx;
}

static void drop_converters(agora_rx_path *rx)
{
    agora_resampler_destroy(rx->resampler);
    agora_label_analyzer_destroy(rx->labels);
    agora_vad_destroy(rx->vad);
    agora_apm_destroy(rx->apm);
    rx->apm = NULL;
    free(rx->acc);
    rx->resampler = NULL;
    rx->labels = NULL;
    rx->vad = NULL;
    rx->acc = NULL;
    rx->acc_frames = rx->acc_cap = 0;
}

void agora_rx_prefetch(const agora_rx_path *rx, const agora_label_analyzer *labels,
                       const agora_sent_frame *frame)
{
    for (size_t off = 0; off < sizeof(*rx); off += 64)
        __builtin_prefetch((const char *)rx + off);
    agora_label_analyzer_prefetch(labels);
    if (frame) /* the header and a 10 ms frame of 16 kHz mono (the common case) */
        for (size_t off = 0; off < sizeof(*frame) + 320; off += 64)
            __builtin_prefetch((const char *)frame + off);
}

void agora_rx_free(agora_rx_path *rx)
{
    if (!rx)
        return;
    drop_converters(rx);
    free(rx);
}

static int rebuild(agora_rx_path *rx, const agora_sent_frame *in, int out_rate, int out_ch,
                   const agora_vad_config *vad_cfg, unsigned obs_gen, int apm_flags)
{
    drop_converters(rx);
    rx->in_rate = in->sample_rate;
    rx->in_ch = in->channels;
    rx->out_rate = out_rate;
    rx->out_ch = out_ch;
    rx->obs_gen = obs_gen;
    rx->apm_flags = apm_flags;
    if (apm_flags && !(rx->apm = agora_apm_create(out_rate, out_ch, apm_flags)))
        return AGORA_ERR_NO_MEMORY;
    rx->resampler = agora_resampler_create(in->sample_rate, in->channels, out_rate, out_ch);
    rx->labels = agora_label_analyzer_create(out_rate, out_ch);
    int out_spc = out_rate / 100;
    rx->acc_cap = agora_resampler_max_output(rx->resampler, in->samples_per_channel) + out_spc;
    rx->acc = malloc(sizeof(int16_t) * (size_t)rx->acc_cap * (size_t)out_ch);
    if (vad_cfg)
        rx->vad = agora_vad_create(vad_cfg, sizeof(int16_t) * (size_t)out_spc * (size_t)out_ch);
    if (!rx->resampler || !rx->labels || !rx->acc || (vad_cfg && !rx->vad)) {
        drop_converters(rx);
        return AGORA_ERR_NO_MEMORY;
    }
    return AGORA_OK;
}

/* One 10 ms output frame at pcm (in the observer's format): APM (in place: pcm is then the
 * path's own accumulator), labels, VAD, emit. */
static void process_frame(agora_rx_path *rx, const agora_sent_frame *in, int16_t *pcm_acc,
                          const int16_t *pcm, int out_rate, int out_ch, agora_rx_emit_fn emit,
                          void *ctx)
{
    const int out_spc = out_rate / 100;
    agora_audio_frame frame;
    memset(&frame, 0, sizeof(frame));
    frame.type = AGORA_AUDIO_FRAME_TYPE_PCM16;
    frame.samples_per_channel = out_spc;
    frame.bytes_per_sample = 2;
    frame.channels = out_ch;
    frame.samples_per_sec = out_rate;
    frame.buffer = pcm;
    frame.render_time_ms = in->render_time_ms;
    frame.send_time_us = in->send_time_us;
    frame.presentation_ms = in->presentation_ms;
    frame.rtp_timestamp = in->rtp_timestamp;
    if (rx->apm && pcm_acc) /* noise suppression / AGC before the labels and the VAD see the frame */
        agora_apm_process(rx->apm, pcm_acc, out_spc);
    agora_label_analyzer_process(rx->labels, frame.buffer, out_spc, &frame.labels);
    agora_vad_result vad;
    const agora_vad_result *vad_ptr = NULL;
    if (rx->vad) {
        size_t nbytes = sizeof(int16_t) * (size_t)out_spc * (size_t)out_ch;
        if (agora_vad_process(rx->vad, &frame.labels, (const uint8_t *)frame.buffer, nbytes,
                              &vad) == AGORA_OK)
            vad_ptr = &vad;
    }
    emit(ctx, rx, &frame, vad_ptr);
}

int agora_rx_feed(agora_rx_path *rx, const agora_sent_frame *in, int out_rate, int out_ch,
                  const agora_vad_config *vad_cfg, unsigned obs_gen, int apm_flags,
                  agora_rx_emit_fn emit, void *ctx)
{
    if (in->gap && !agora_vad_is_speaking(rx->vad))
        return AGORA_OK; /* a gap is heard only as the silence that ends an utterance */
    if (!rx->resampler || rx->in_rate != in->sample_rate || rx->in_ch != in->channels ||
        rx->out_rate != out_rate || rx->out_ch != out_ch || rx->obs_gen != obs_gen ||
        rx->apm_flags != apm_flags) {
        int rc = rebuild(rx, in, out_rate, out_ch, vad_cfg, obs_gen, apm_flags);
        if (rc != AGORA_OK)
            return rc;
    }
    rx->frames_in += !in->gap;
    rx->bytes_in += in->gap ? 0 : (uint64_t)in->samples_per_channel * (uint64_t)in->channels * sizeof(int16_t);
    const int out_spc = out_rate / 100;
    if (rx->acc_frames == 0 && !rx->apm && in->sample_rate == out_rate && in->channels == out_ch &&
        in->samples_per_channel == out_spc) {
        /* the common case, one 10 ms frame already in the observer's format: analysed where it
         * is (the frame is read-only here), no copy through the accumulator */
        process_frame(rx, in, NULL, in->pcm, out_rate, out_ch, emit, ctx);
        return AGORA_OK;
    }
    /* the path was sized on the frame that built it; a longer frame (a 20 ms
     * RTP packet after 10 ms frames) grows the accumulator */
    int need = agora_resampler_max_output(rx->resampler, in->samples_per_channel);
    if (need < 0)
        return need;
    if (rx->acc_frames + need > rx->acc_cap) {
        int cap = rx->acc_frames + need + out_spc;
        int16_t *acc = realloc(rx->acc, sizeof(int16_t) * (size_t)cap * (size_t)out_ch);
        if (!acc)
            return AGORA_ERR_NO_MEMORY;
        rx->acc = acc;
        rx->acc_cap = cap;
    }
    int room = rx->acc_cap - rx->acc_frames;
    int got = agora_resampler_process(rx->resampler, in->pcm, in->samples_per_channel,
                                      rx->acc + (size_t)rx->acc_frames * (size_t)out_ch, room);
    if (got < 0)
        return got;
    rx->acc_frames += got;
    int offset = 0;
    while (rx->acc_frames - offset >= out_spc) {
        int16_t *pcm = rx->acc + (size_t)offset * (size_t)out_ch;
        process_frame(rx, in, pcm, pcm, out_rate, out_ch, emit, ctx);
        offset += out_spc;
    }
    if (offset > 0) {
        rx->acc_frames -= offset;
        memmove(rx->acc, rx->acc + (size_t)offset * (size_t)out_ch,
                sizeof(int16_t) * (size_t)rx->acc_frames * (size_t)out_ch);
    }
    return AGORA_OK;
}
