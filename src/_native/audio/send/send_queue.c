#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/errors.h"
#include "audio/send/encoded_packet.h"
#include "audio/send/send_queue.h"

struct agora_pcm_segment {
    agora_pcm_segment *next;
    int sample_rate;
    int channels;
    int64_t start_pts;
    size_t frames;      /* sample frames (per channel) in data */
    size_t read;        /* sample frames already cut */
    agora_encoded_packet *packet; /* push_audio_encoded_data: the packet data was decoded from */
    int16_t data[];
};

int agora_sendq_init(agora_send_queue *q, int prefill_frames)
{
    memset(q, 0, sizeof(*q));
    atomic_init(&q->unposted, 0);
    q->prefill_frames = prefill_frames;
    q->last_presentation_ms = -1;
    return pthread_mutex_init(&q->mu, NULL) == 0 ? 0 : AGORA_ERR_FAILED;
}

/* Whole milliseconds in an exact sum of seconds (truncated; the epsilon absorbs
 * floating-point error so 100 frames of 22050 Hz audio are 1000 ms, not 999). */
static int64_t to_ms(double seconds)
{
    return (int64_t)floor(seconds * 1000.0 + 1e-6);
}

static void free_segments(agora_pcm_segment *s)
{
    while (s) {
        agora_pcm_segment *n = s->next;
        agora_encoded_packet_unref(s->packet);
        free(s);
        s = n;
    }
}

void agora_sendq_destroy(agora_send_queue *q)
{
    free_segments(q->head);
    q->head = q->tail = NULL;
    pthread_mutex_destroy(&q->mu);
}

int agora_sendq_push(agora_send_queue *q, const int16_t *pcm, size_t samples_per_channel,
                     int sample_rate, int channels, int64_t start_pts)
{
    return agora_sendq_push_packet(q, pcm, samples_per_channel, sample_rate, channels, start_pts,
                                   NULL);
}

int agora_sendq_push_packet(agora_send_queue *q, const int16_t *pcm, size_t samples_per_channel,
                            int sample_rate, int channels, int64_t start_pts,
                            struct agora_encoded_packet *packet)
{
    if (samples_per_channel == 0)
        return AGORA_OK;
    size_t n = samples_per_channel * (size_t)channels;
    agora_pcm_segment *s = malloc(sizeof(*s) + n * sizeof(int16_t));
    if (!s)
        return AGORA_ERR_NO_MEMORY;
    s->next = NULL;
    s->sample_rate = sample_rate;
    s->channels = channels;
    s->start_pts = start_pts;
    s->frames = samples_per_channel;
    s->read = 0;
    s->packet = packet;
    if (packet)
        agora_encoded_packet_ref(packet);
    memcpy(s->data, pcm, n * sizeof(int16_t));
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = s;
    else
        q->head = s;
    q->tail = s;
    q->queued_samples += samples_per_channel;
    q->pushed_samples += samples_per_channel;
    pthread_mutex_unlock(&q->mu);
    return AGORA_OK;
}

static int same_format(const agora_pcm_segment *a, const agora_pcm_segment *b)
{
    return a->sample_rate == b->sample_rate && a->channels == b->channels;
}

/* Sample frames available in the head format: the run of same-format segments
 * at the front. *more_after is set when a segment of another format follows. */
static size_t head_run(const agora_send_queue *q, size_t need, int *more_after)
{
    size_t avail = 0;
    *more_after = 0;
    for (const agora_pcm_segment *s = q->head; s; s = s->next) {
        if (!same_format(s, q->head)) {
            *more_after = 1;
            break;
        }
        avail += s->frames - s->read;
        if (avail >= need)
            break;
    }
    return avail;
}

/* Cut up to spc sample frames from the head run into f (zero padded). Caller holds mu. */
static void cut_frame(agora_send_queue *q, agora_sent_frame *f)
{
    const int ch = f->channels;
    size_t want = (size_t)f->samples_per_channel, got = 0;
    /* any int64 start_pts is accepted (callers pack ids into it): the offset wraps
     * modulo 2^64 instead of overflowing a signed add */
    f->presentation_ms = (int64_t)((uint64_t)q->head->start_pts
                                   + (uint64_t)(q->head->read * 1000 / (size_t)q->head->sample_rate));
    const int rate = q->head->sample_rate;
    int all_encoded = 1;
    while (got < want && q->head && q->head->sample_rate == rate && q->head->channels == ch) {
        agora_pcm_segment *s = q->head;
        if (s->packet && s->read == 0 && !f->encoded) {
            /* the packet starts in this frame (packets are >= 10 ms: at most one does) */
            agora_encoded_packet_ref(s->packet);
            f->encoded = s->packet;
            f->encoded_offset = (int)got;
        }
        all_encoded &= s->packet != NULL;
        size_t take = s->frames - s->read;
        if (take > want - got)
            take = want - got;
        memcpy(f->pcm + got * (size_t)ch, s->data + s->read * (size_t)ch, take * (size_t)ch * sizeof(int16_t));
        s->read += take;
        got += take;
        if (s->read == s->frames) {
            q->head = s->next;
            if (!q->head)
                q->tail = NULL;
            agora_encoded_packet_unref(s->packet);
            free(s);
        }
    }
    f->encoded_only = all_encoded && got == want;
    /* the padding (if any) stays zero: agora_sent_frame_new zero-fills */
    q->queued_samples -= got;
    q->sent_frames++;
    q->round_sent_s += (double)got / rate;
    q->last_presentation_ms = f->presentation_ms;
    f->rtp_timestamp = q->rtp_clock;
    q->rtp_clock += (uint32_t)f->samples_per_channel;
}

int agora_sendq_tick_locked(agora_send_queue *q, int64_t now_us, agora_sent_frame **out, int max,
                            int64_t *drained_round_ms)
{
    int n = 0;
    *drained_round_ms = -1;
    if (!q->head)
        return 0;
    int budget = q->round_active ? 1 : 1 + q->prefill_frames;
    if (q->round_active && q->burst_speed > 1) {
        /* incremental send: up to burst_speed frames per tick until burst_ms of
         * the round have left (prefill included), never overshooting it */
        int64_t left_ms = q->burst_ms - to_ms(q->round_sent_s);
        if (left_ms > 0)
            budget = left_ms >= 10LL * q->burst_speed ? q->burst_speed : (int)((left_ms + 9) / 10);
        if (budget < 1)
            budget = 1;
    }
    if (budget > max)
        budget = max;
    /* send_time_us is the clock at the cut, strictly increasing from tick to tick
     * (two catch-up ticks can fall in the same microsecond): the frames of one
     * tick share it, so a receiver can tell the ticks apart */
    if (now_us <= q->last_cut_us)
        now_us = q->last_cut_us + 1;
    q->last_cut_us = now_us;
    while (n < budget && q->head) {
        const int rate = q->head->sample_rate, ch = q->head->channels;
        if (rate != q->cut_rate) {
            q->cut_rate = rate;
            q->cut_index = 0;
        }
        const size_t spc = (size_t)(((q->cut_index + 1) * (uint64_t)rate) / 100 -
                                    (q->cut_index * (uint64_t)rate) / 100);
        int more_after;
        size_t avail = head_run(q, spc, &more_after);
        if (avail < spc && !more_after && !q->tail_waited) {
            /* a lone partial frame: give the pusher one tick to extend it */
            q->tail_waited = 1;
            break;
        }
        agora_sent_frame *f = agora_sent_frame_new(rate, ch, (int)spc);
        if (!f)
            break; /* out of memory: leave the data queued, retry next tick */
        f->send_time_us = now_us;
        f->render_time_ms = now_us / 1000;
        cut_frame(q, f);
        q->cut_index++;
        q->tail_waited = 0;
        q->round_active = 1;
        out[n++] = f;
    }
    if (n > 0 && !q->head) {
        *drained_round_ms = to_ms(q->round_sent_s);
        q->round_active = 0;
        q->round_sent_s = 0;
        q->drained_events++;
    }
    return n;
}

void agora_sendq_clear(agora_send_queue *q, int64_t *sent_ms, int64_t *dropped_ms, int64_t *last_pts)
{
    pthread_mutex_lock(&q->mu);
    double dropped_s = 0;
    for (agora_pcm_segment *s = q->head; s; s = s->next)
        dropped_s += (double)(s->frames - s->read) / s->sample_rate;
    free_segments(q->head);
    q->head = q->tail = NULL;
    q->dropped_samples += q->queued_samples;
    q->queued_samples = 0;
    *sent_ms = to_ms(q->round_sent_s);
    *dropped_ms = to_ms(dropped_s);
    *last_pts = q->round_active ? q->last_presentation_ms : -1;
    q->round_active = 0;
    q->round_sent_s = 0;
    q->tail_waited = 0;
    pthread_mutex_unlock(&q->mu);
    /* frames the media clock cut just before are being handed over right now
     * (microseconds): wait, so the queue reads complete when this returns */
    while (atomic_load(&q->unposted) > 0)
        sched_yield();
}

void agora_sendq_set_burst(agora_send_queue *q, int burst_ms, int burst_speed)
{
    pthread_mutex_lock(&q->mu);
    q->burst_ms = burst_ms;
    q->burst_speed = burst_speed;
    pthread_mutex_unlock(&q->mu);
}

int agora_sendq_is_empty(agora_send_queue *q)
{
    pthread_mutex_lock(&q->mu);
    /* complete only once the last frames are on their way: a message sent
     * after completion can then never overtake them */
    int empty = q->head == NULL && atomic_load(&q->unposted) == 0;
    pthread_mutex_unlock(&q->mu);
    return empty;
}
