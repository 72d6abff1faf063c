/* Encoded audio: push_audio_encoded_data (check, decode, queue with the
 * packet attached: Opus, G.711, and through libavcodec G.722, AAC-LC, HE-AAC) and the delivery of remote users'
 * packets to the local-user observer. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "audio/codec/aac_decoder.h"
#include "agora_rtc/errors.h"
#include "audio/send/encoded_packet.h"
#include "engine/engine.h"
#include "audio/codec/g711.h"
#include "audio/codec/opus_codec.h"

#define TEN_MS_48K 480
#define G711_RATE 8000

/* Push-side state: pushes may come from any thread, so one lock guards the
 * decoders (Opus: one per channel count; AAC: one stream) and the PCM buffer. */
typedef struct agora_encoded_sender {
    pthread_mutex_t mu;
    agora_opus_decoder *dec[2];
    agora_aac_decoder *av;        /* libavcodec: one stream of one codec */
    int av_codec;
    int16_t pcm[AGORA_OPUS_MAX_FRAME_SAMPLES * 2];
} agora_encoded_sender;

_Static_assert(AGORA_MAX_ENCODED_AUDIO_BYTES <= AGORA_OPUS_MAX_FRAME_SAMPLES * 2,
               "a G.711 packet decodes into the PCM buffer");
_Static_assert(AGORA_AAC_MAX_FRAME_SAMPLES * 2 <= AGORA_OPUS_MAX_FRAME_SAMPLES * 2,
               "an AAC frame decodes into the PCM buffer");

void agora_encoded_sender_free(agora_encoded_sender *s)
{
    if (!s)
        return;
    agora_opus_decoder_destroy(s->dec[0]);
    agora_opus_decoder_destroy(s->dec[1]);
    agora_aac_decoder_destroy(s->av);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static agora_encoded_sender *sender_of(agora_rtc_conn *c)
{
    agora_encoded_sender *s = atomic_load(&c->encoded_sender);
    if (s)
        return s;
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s);
        return NULL;
    }
    agora_encoded_sender *expected = NULL;
    if (!atomic_compare_exchange_strong(&c->encoded_sender, &expected, s)) {
        agora_encoded_sender_free(s); /* another pusher created it first */
        s = expected;
    }
    return s;
}

/* Each decoder turns one packet into s->pcm (under s->mu), fills the format of
 * pi and returns the samples per channel, or a negative AGORA_ERR_* code. */

static int decode_opus(agora_encoded_sender *s, const uint8_t *data, size_t length,
                       agora_encoded_audio_info *pi)
{
    int samples, channels;
    if (agora_opus_packet_info(data, (int)length, &samples, &channels) != AGORA_OK ||
        samples % TEN_MS_48K != 0)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (!s->dec[channels - 1] && !(s->dec[channels - 1] = agora_opus_decoder_create(channels)))
        return AGORA_ERR_NO_MEMORY;
    int n = agora_opus_decode(s->dec[channels - 1], data, (int)length, s->pcm, AGORA_OPUS_MAX_FRAME_SAMPLES);
    if (n != samples)
        return AGORA_ERR_INVALID_ARGUMENT; /* corrupt payload behind a valid header */
    pi->sample_rate = AGORA_OPUS_SAMPLE_RATE;
    pi->channels = channels;
    return n;
}

static int decode_g711(agora_encoded_sender *s, const uint8_t *data, size_t length,
                       agora_encoded_audio_info *pi)
{
    if (pi->sample_rate != G711_RATE || pi->channels < 1 || pi->channels > 2 ||
        length % (size_t)pi->channels != 0)
        return AGORA_ERR_INVALID_ARGUMENT;
    agora_g711_decode(pi->codec == AGORA_AUDIO_CODEC_PCMA, data, length, s->pcm);
    return (int)(length / (size_t)pi->channels);
}

static int decode_av(agora_encoded_sender *s, const uint8_t *data, size_t length,
                     agora_encoded_audio_info *pi)
{
    if (!agora_aac_available(pi->codec, NULL))
        return AGORA_ERR_NOT_SUPPORTED;
    if (pi->codec == AGORA_AUDIO_CODEC_G722 &&
        ((pi->sample_rate != 16000 && pi->sample_rate != 8000) || pi->channels != 1))
        return AGORA_ERR_INVALID_ARGUMENT;
    if (s->av && s->av_codec != pi->codec) { /* another codec: another stream */
        agora_aac_decoder_destroy(s->av);
        s->av = NULL;
    }
    if (!s->av && !(s->av = agora_aac_decoder_create(pi->codec, pi->sample_rate, pi->channels)))
        return AGORA_ERR_NO_MEMORY;
    s->av_codec = pi->codec;
    int max = pi->codec == AGORA_AUDIO_CODEC_G722 ? (int)(sizeof(s->pcm) / sizeof(s->pcm[0]))
                                                   : AGORA_AAC_MAX_FRAME_SAMPLES;
    int n = agora_aac_decode(s->av, data, length, s->pcm, max, &pi->sample_rate, &pi->channels);
    if (n > 0 && !agora_audio_rate_valid(pi->sample_rate))
        return AGORA_ERR_NOT_SUPPORTED; /* an AAC rate the send queue does not take (96 kHz, ...) */
    return n == 0 ? AGORA_ERR_INVALID_ARGUMENT : n; /* every valid access unit has audio */
}

int agora_audio_codec_supported(int codec, const char **detail)
{
    const char *none = "";
    if (detail)
        *detail = none;
    switch (codec) {
    case AGORA_AUDIO_CODEC_OPUS:
    case AGORA_AUDIO_CODEC_PCMA:
    case AGORA_AUDIO_CODEC_PCMU:
        return 1;
    case AGORA_AUDIO_CODEC_G722:
    case AGORA_AUDIO_CODEC_AACLC:
    case AGORA_AUDIO_CODEC_HEAAC:
    case AGORA_AUDIO_CODEC_HEAAC2:
        return agora_aac_available(codec, detail);
    default:
        return 0;
    }
}

int agora_rtc_conn_push_audio_encoded(agora_rtc_conn *c, const uint8_t *data, size_t length,
                                      const agora_encoded_audio_info *info)
{
    if (!c || !data || !info || length == 0 || length > AGORA_MAX_ENCODED_AUDIO_BYTES)
        return AGORA_ERR_INVALID_ARGUMENT;
    int (*decode)(agora_encoded_sender *, const uint8_t *, size_t, agora_encoded_audio_info *);
    switch (info->codec) {
    case AGORA_AUDIO_CODEC_OPUS: decode = decode_opus; break;
    case AGORA_AUDIO_CODEC_PCMA:
    case AGORA_AUDIO_CODEC_PCMU: decode = decode_g711; break;
    case AGORA_AUDIO_CODEC_G722:
    case AGORA_AUDIO_CODEC_AACLC:
    case AGORA_AUDIO_CODEC_HEAAC:
    case AGORA_AUDIO_CODEC_HEAAC2: decode = decode_av; break;
    default: return AGORA_ERR_NOT_SUPPORTED;
    }
    agora_encoded_sender *s = sender_of(c);
    if (!s)
        return AGORA_ERR_NO_MEMORY;
    agora_encoded_audio_info pinfo = {
        .codec = info->codec, .sample_rate = info->sample_rate, .channels = info->channels,
        .speech = info->speech,
        .capture_time_ms = info->capture_time_ms >= 0 ? info->capture_time_ms : agora_monotonic_ms(),
    };
    pthread_mutex_lock(&s->mu);
    int rc = decode(s, data, length, &pinfo);
    if (rc > 0) {
        pinfo.samples_per_channel = rc;
        agora_encoded_packet *p = agora_encoded_packet_new(data, length, &pinfo);
        rc = p ? agora_sendq_push_packet(&c->sendq, s->pcm, (size_t)pinfo.samples_per_channel,
                                         pinfo.sample_rate, pinfo.channels, 0, p)
               : AGORA_ERR_NO_MEMORY;
        agora_encoded_packet_unref(p); /* the queue holds its own reference */
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int agora_rtc_conn_set_encoded_audio_delivery(agora_rtc_conn *c, int on)
{
    if (!c || (on != 0 && on != 1))
        return AGORA_ERR_INVALID_ARGUMENT;
    if (on && agora_conn_prepare_delivery_queue(c, 1) != AGORA_OK)
        return AGORA_ERR_NO_MEMORY;
    pthread_mutex_lock(&c->mu);
    agora_frame_queue *q = atomic_load(&c->encoded_q);
    c->encoded_gen++; /* packets queued before this switch are not delivered */
    if (q) {
        /* new limits, zeroed counters, and nothing of the previous observer waits */
        agora_frame_queue_reset(q);
        agora_frame_queue_set_backlog_limit(q, c->encoded_backlog_ms);
        agora_frame_queue_set_max_frames(q, c->encoded_max_frames);
        agora_frame_queue_set_gen(q, c->encoded_gen);
    }
    atomic_store(&c->encoded_delivery, on);
    pthread_mutex_unlock(&c->mu);
    return agora_conn_post_listen(c, AGORA_LISTEN_ENCODED, on);
}

int agora_rtc_conn_set_encoded_audio_delivery_limits(agora_rtc_conn *c, int backlog_ms, size_t max_frames)
{
    if (!c || backlog_ms < 10 || max_frames < 1)
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->mu);
    c->encoded_backlog_ms = backlog_ms;
    c->encoded_max_frames = max_frames;
    pthread_mutex_unlock(&c->mu);
    return AGORA_OK;
}

int agora_rtc_conn_get_encoded_audio_delivery_stats(agora_rtc_conn *c, agora_frame_queue_stats *out)
{
    if (!c || !out)
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->mu);
    agora_frame_queue *q = atomic_load(&c->encoded_delivery) ? atomic_load(&c->encoded_q) : NULL;
    if (q)
        agora_frame_queue_get_stats(q, out); /* lock order: conn->mu, then the queue's */
    pthread_mutex_unlock(&c->mu);
    return q ? AGORA_OK : AGORA_ERR_INVALID_STATE;
}

/* Into the receiver's bounded queue; the delivery thread calls its observer. */
static void post(agora_rtc_conn *to, const char *uid, const uint8_t *data, size_t length,
                 const agora_encoded_audio_info *info)
{
    agora_frame_queue *q = atomic_load(&to->encoded_q);
    if (q)
        agora_frame_queue_push_packet(q, uid, data, length, info);
}

void agora_encoded_audio_deliver(agora_service *svc, agora_rtc_conn *to, const char *uid,
                                 const agora_encoded_packet *p)
{
    (void)svc;
    if (atomic_load_explicit(&to->encoded_delivery, memory_order_relaxed))
        post(to, uid, p->data, p->length, &p->info);
}

void agora_encoded_audio_deliver_payload(agora_service *svc, agora_rtc_conn *to, const char *uid,
                                         const uint8_t *payload, size_t length, int64_t capture_ms)
{
    (void)svc;
    if (!atomic_load_explicit(&to->encoded_delivery, memory_order_relaxed))
        return;
    agora_encoded_audio_info info = {.codec = AGORA_AUDIO_CODEC_OPUS,
                                     .sample_rate = AGORA_OPUS_SAMPLE_RATE, .speech = 1,
                                     .capture_time_ms = capture_ms};
    if (agora_opus_packet_info(payload, (int)length, &info.samples_per_channel, &info.channels) != AGORA_OK)
        return; /* the decoder conceals it; nothing to hand over */
    post(to, uid, payload, length, &info);
}
