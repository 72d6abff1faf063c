/* The outgoing PCM queue of one connection.
 *
 * Each push becomes one segment that keeps its own format and start_pts, so
 * nothing is converted (or lost in a filter) on the send side: the local
 * transport carries each 10 ms frame in the format it was pushed in and the
 * receiver converts. Frames are cut across consecutive segments of the same
 * format. A tail shorter than 10 ms waits one tick for more data, then goes
 * out padded with silence. Pushers and the media clock meet under `mu`. */
#ifndef AGORA_RTC_SEND_QUEUE_H
#define AGORA_RTC_SEND_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "audio/send/sent_frame.h"

typedef struct agora_pcm_segment agora_pcm_segment;

typedef struct agora_send_queue {
    pthread_mutex_t mu;
    agora_pcm_segment *head;
    agora_pcm_segment *tail;
    uint64_t queued_samples;    /* per channel, all segments */
    atomic_int unposted;        /* frames cut but not yet handed to the transport (media clock) */
    int tail_waited;            /* a lone partial frame already waited one tick */
    int round_active;           /* frames have been sent since the queue was last empty */
    int prefill_frames;         /* extra frames sent on the first tick of a round */
    int burst_ms;               /* incremental send: the first burst_ms of a round ... */
    int burst_speed;            /* ... leave at burst_speed frames per tick (1 = off) */
    /* counters (read under mu) */
    uint64_t pushed_samples;
    uint64_t sent_frames;
    uint64_t dropped_samples;
    uint64_t drained_events;
    double round_sent_s;         /* audio sent in the current round, seconds (exact sum, no per-frame truncation) */
    int64_t last_presentation_ms;
    uint32_t rtp_clock;          /* running sample clock for rtp_timestamp */
    int cut_rate;                /* format of the frame counter below */
    int64_t last_cut_us;         /* send_time_us of the last tick (strictly increasing) */
    uint64_t cut_index;          /* frames cut in this format: sizes follow floor(k * rate / 100) */
} agora_send_queue;

int agora_sendq_init(agora_send_queue *q, int prefill_frames);
void agora_sendq_destroy(agora_send_queue *q);
/* Copy pcm (interleaved) into a new segment. 0 or AGORA_ERR_NO_MEMORY. */
int agora_sendq_push(agora_send_queue *q, const int16_t *pcm, size_t samples_per_channel,
                     int sample_rate, int channels, int64_t start_pts);
/* The same for PCM decoded from an encoded packet: the segment keeps a
 * reference to it, and the frame the packet starts in carries it. */
struct agora_encoded_packet;
int agora_sendq_push_packet(agora_send_queue *q, const int16_t *pcm, size_t samples_per_channel,
                            int sample_rate, int channels, int64_t start_pts,
                            struct agora_encoded_packet *packet);
/* Media-clock tick (caller holds q->mu, and keeps holding it while it hands
 * the frames to the transport, so that nobody sees the queue complete before
 * its last frames are on their way): cut the frames due now (one, or 1 + prefill at the start
 * of a round) into freshly allocated frames. Returns how many were written
 * to out (<= max). When this tick emptied the queue after sending,
 * *drained_round_ms is set to the ms of audio the finished round sent,
 * otherwise to -1. */
int agora_sendq_tick_locked(agora_send_queue *q, int64_t now_us, agora_sent_frame **out, int max,
                     int64_t *drained_round_ms);
/* Drop everything queued. Reports ms sent in the round, ms dropped, and the
 * presentation_ms of the last frame that left (-1 if none). */
void agora_sendq_clear(agora_send_queue *q, int64_t *sent_ms, int64_t *dropped_ms,
                       int64_t *last_pts);
int agora_sendq_is_empty(agora_send_queue *q);
/* Incremental send (incremental_send.c): takes q->mu. */
void agora_sendq_set_burst(agora_send_queue *q, int burst_ms, int burst_speed);

#endif
