/* Playout of one remote audio stream: see audio_playout.h. */
#include "net/rtp/audio_playout.h"

#include <string.h>

#include "agora_rtc/errors.h"
#include "agora_rtc/rtp_transport.h"
#include "audio/codec/g711.h"
#include "audio/dsp/time_stretch.h"

#define TICK_US (AGORA_PLAYOUT_TICK_MS * 1000)
#define RATE48 AGORA_OPUS_SAMPLE_RATE
#define QUIET_RMS 330.0        /* -40 dBFS: quiet enough to shorten for a small excess */
#define PAUSE_RMS 580.0        /* -35 dBFS: a packet this quiet may be a sender's last before
                                  its pause (a phone line's noise floor is about -40 dBFS) */

void agora_audio_playout_init(agora_audio_playout *po, int codec, int clock_rate)
{
    memset(po, 0, sizeof(*po));
    po->codec = codec;
    po->clock_rate = clock_rate > 0 ? clock_rate : RATE48;
}

void agora_audio_playout_clear(agora_audio_playout *po)
{
    po->fifo_len = 0;
    po->pending_us = 0;
    po->npulls = 0;
}

static int duration48(const agora_audio_playout *po, const agora_jb_frame *fr)
{
    int samples = 0, ch = 0;
    if (po->codec != AGORA_RTP_AUDIO_OPUS) { /* G.711, G.722: a byte per RTP tick */
        if (fr->kind == AGORA_JB_PACKET && fr->payload_len > 0)
            samples = (int)(fr->payload_len * (size_t)(RATE48 / po->clock_rate));
        if (samples > 0 && samples <= AGORA_OPUS_MAX_FRAME_SAMPLES)
            return samples;
    } else if (fr->kind == AGORA_JB_PACKET &&
        agora_opus_packet_info(fr->payload, (int)fr->payload_len, &samples, &ch) == AGORA_OK &&
        samples > 0 && samples <= AGORA_OPUS_MAX_FRAME_SAMPLES)
        return samples;
    return po->last_samples48 > 0 ? po->last_samples48 : AGORA_OPUS_FRAME_SAMPLES;
}

int agora_audio_playout_pull(agora_audio_playout *po, agora_jb *jb, int64_t play_ms)
{
    po->npulls = 0;
    po->stretch = AGORA_JB_STRETCH_NONE;
    int have_us = po->pending_us, need_us = TICK_US;
    agora_jb_set_quiet_tail(jb, po->tail_quiet);
    while (have_us < need_us && po->npulls < AGORA_PLAYOUT_MAX_PULLS) {
        agora_jb_set_pending_audio(jb, have_us / 1000.0);
        agora_jb_frame fr;
        int kind = agora_jb_pull(jb, play_ms, &fr);
        if (kind != AGORA_JB_PACKET && kind != AGORA_JB_LOST)
            break;
        agora_playout_pull *p = &po->pulls[po->npulls++];
        p->kind = kind;
        p->samples48 = duration48(po, &fr);
        p->timestamp = fr.timestamp;
        p->len = 0;
        const uint8_t *src = kind == AGORA_JB_PACKET ? fr.payload : fr.fec_payload;
        size_t len = kind == AGORA_JB_PACKET ? fr.payload_len : fr.fec_payload_len;
        if (src && len <= sizeof(p->data)) { /* the buffer's limit: always true */
            memcpy(p->data, src, len);
            p->len = len;
        }
        if (kind == AGORA_JB_PACKET) {
            po->last_samples48 = p->samples48;
            if (fr.restart)
                po->reset = 1;
        }
        have_us += (int)((int64_t)p->samples48 * 1000000 / RATE48);
        if (po->npulls == 1 && kind == AGORA_JB_PACKET && fr.stretch != AGORA_JB_STRETCH_NONE) {
            po->stretch = fr.stretch;
            /* accelerating: the next packet too, when it is there, so there is audio to shorten */
            if (fr.stretch != AGORA_JB_EXPAND && agora_jb_peek_next(jb, NULL, NULL))
                need_us = have_us + 1;
        }
    }
    return po->npulls > 0 || po->pending_us > 0;
}

/* Decode pull p into the FIFO's tail; returns the samples added. */
static int decode_one(agora_audio_playout *po, agora_opus_decoder *dec, agora_g722_decoder *g722,
                      int rate, const agora_playout_pull *p)
{
    int room = AGORA_PLAYOUT_FIFO_CAP - po->fifo_len;
    int want = (int)((int64_t)p->samples48 * rate / RATE48);
    if (want > room)
        want = room;
    int16_t *dst = po->fifo + po->fifo_len;
    int n;
    if (po->codec != AGORA_RTP_AUDIO_OPUS) {
        const int per_byte = po->codec == AGORA_RTP_AUDIO_G722 ? 2 : 1; /* samples */
        if (p->kind == AGORA_JB_PACKET && p->len > 0 && p->len * (size_t)per_byte <= (size_t)room) {
            if (po->codec == AGORA_RTP_AUDIO_G722) {
                n = agora_g722_decode(g722, p->data, (int)p->len, dst);
            } else {
                agora_g711_decode(po->codec == AGORA_RTP_AUDIO_PCMA, p->data, p->len, dst);
                n = (int)p->len;
            }
            po->decoded++;
            return n;
        }
        if (p->kind == AGORA_JB_PACKET)
            po->decode_errors++; /* longer than the room left: its slot is silent */
        po->plc++;               /* no concealment of their own: silence */
        memset(dst, 0, sizeof(int16_t) * (size_t)want);
        return want;
    }
    if (p->kind == AGORA_JB_PACKET) {
        n = agora_opus_decode(dec, p->data, (int)p->len, dst, room);
        if (n > 0) {
            po->decoded++;
            return n;
        }
        po->decode_errors++; /* corrupt: conceal its slot */
    } else if (p->len > 0 && (n = agora_opus_decode_fec(dec, p->data, (int)p->len, dst, want)) > 0) {
        po->fec++;
        return n;
    }
    po->plc++;
    n = agora_opus_decode_plc(dec, dst, want);
    return n > 0 ? n : 0;
}

/* Whether x[0..n) is quieter than rms_limit (RMS); never when empty. */
static int quieter(const int16_t *x, int n, double rms_limit)
{
    if (n <= 0)
        return 0;
    double e = 0;
    for (int i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    return e < rms_limit * rms_limit * n;
}

int agora_audio_playout_decode(agora_audio_playout *po, agora_opus_decoder **dec,
                               agora_g722_decoder *g722, int rate, int16_t *out)
{
    if (po->codec == AGORA_RTP_AUDIO_G722) {
        rate = AGORA_G722_SAMPLE_RATE; /* its own rate; the ADPCM state starts over on a new stream */
        if (po->reset)
            agora_g722_decoder_reset(g722);
        po->reset = 0;
    } else if (po->codec != AGORA_RTP_AUDIO_OPUS) {
        rate = po->clock_rate; /* G.711: decoded at its own rate, no decoder state */
        po->reset = 0;
    } else if (!*dec || agora_opus_decoder_rate(*dec) != rate) {
        /* the observer's format changed: a decoder at the new rate starts clean */
        agora_opus_decoder_destroy(*dec);
        *dec = agora_opus_decoder_create_at(rate, 1);
        po->reset = 0;
        if (!*dec) {
            po->decode_errors++; /* out of memory: this slot is not heard */
            agora_audio_playout_clear(po);
            return AGORA_ERR_NO_MEMORY;
        }
    }
    if (po->fifo_rate != rate) {
        po->fifo_len = 0; /* held audio of the old rate: dropped with its decoder */
        po->fifo_rate = rate;
    }
    if (po->reset) {
        agora_opus_decoder_reset(*dec);
        po->reset = 0;
    }
    agora_opus_decoder *d = *dec;
    for (int i = 0; i < po->npulls; i++) {
        const int at = po->fifo_len;
        po->fifo_len += decode_one(po, d, g722, rate, &po->pulls[i]);
        if (po->pulls[i].kind == AGORA_JB_PACKET) /* what the sender said last */
            po->tail_quiet = quieter(po->fifo + at, po->fifo_len - at, PAUSE_RMS);
    }
    po->npulls = 0;

    const int frame = rate * AGORA_PLAYOUT_TICK_MS / 1000;
    const int max_period = AGORA_STRETCH_MAX_PERIOD_MS * rate / 1000;
    int before = po->fifo_len, after = before;
    if (po->stretch == AGORA_JB_ACCELERATE_QUIET && before > frame && !quieter(po->fifo, before, QUIET_RMS))
        po->stretch = AGORA_JB_STRETCH_NONE; /* speech: keep its timing for a small excess */
    if ((po->stretch == AGORA_JB_ACCELERATE || po->stretch == AGORA_JB_ACCELERATE_QUIET) &&
        before > frame) {
        after = agora_time_stretch_accelerate(po->fifo, before, rate, before - frame);
        po->accelerations += after < before;
    } else if (po->stretch == AGORA_JB_EXPAND && before > 0) {
        after = agora_time_stretch_expand(po->fifo, before, AGORA_PLAYOUT_FIFO_CAP, rate, max_period);
        po->expansions += after > before;
    }
    po->stretch = AGORA_JB_STRETCH_NONE;
    if (after >= 0) {
        po->stretched_samples48 += (int64_t)(after - before) * RATE48 / rate;
        po->fifo_len = after;
    }

    int n = po->fifo_len < frame ? po->fifo_len : frame;
    memcpy(out, po->fifo, sizeof(int16_t) * (size_t)n);
    memset(out + n, 0, sizeof(int16_t) * (size_t)(frame - n)); /* a stream's end: silence */
    po->fifo_len -= n;
    memmove(po->fifo, po->fifo + n, sizeof(int16_t) * (size_t)po->fifo_len);
    po->pending_us = (int)((int64_t)po->fifo_len * 1000000 / rate);
    return frame;
}
