/* Telephone-events (RFC 4733) on a connection's audio stream: keys a remote
 * user pressed become EV_DTMF events; keys the application sends become
 * event packets on our audio stream (SSRC, sequence numbers and clock shared
 * with the audio). I/O thread only, like the rest of the media state. */
#include <string.h>
#include "net/rtp/rtp_media.h"

#define DTMF_PAYLOAD 4
#define DTMF_VOLUME 10      /* -10 dBm0 */
#define DTMF_END_COPIES 3   /* the end packet is sent three times (RFC 4733 2.5.1.4) */
#define DTMF_GAP_TICKS 3    /* 60 ms of silence between two keys */
#define DTMF_MAX_EVENT 15   /* 0-9 * # A-D */

/* A telephone-event packet of remote r: reported once, when the key is
 * released (the first packet with the end bit of that event's timestamp). */
void agora_rtp_dtmf_on_packet(agora_rtp_media *m, rtp_remote *r, const agora_rtp_packet *p)
{
    if (p->payload_len < DTMF_PAYLOAD)
        return;
    const uint8_t *pl = p->payload;
    int event = pl[0], end = (pl[1] & 0x80) != 0;
    int duration = (pl[2] << 8) | pl[3];
    if (!end || event > DTMF_MAX_EVENT || (r->dtmf_reported && r->dtmf_ts == p->timestamp))
        return;
    r->dtmf_reported = 1;
    r->dtmf_ts = p->timestamp;
    m->st.dtmf_received++;
    agora_io_emit(m->conn->svc, m->conn, EV_DTMF, r->uid, event, duration * 1000 / r->rate, 0);
}

int agora_rtp_dtmf_queue(agora_rtp_media *m, int event, int duration_ms)
{
    rtp_dtmf_send *d = &m->dtmf;
    if (d->count == AGORA_RTP_DTMF_QUEUE)
        return AGORA_ERR_NO_MEMORY; /* the queue is full */
    int i = (d->head + d->count) % AGORA_RTP_DTMF_QUEUE;
    d->events[i] = event;
    d->durations[i] = duration_ms;
    d->count++;
    return AGORA_OK;
}

static void send_event(agora_rtp_media *m, rtp_dtmf_send *d, int end, int marker)
{
    uint8_t pl[DTMF_PAYLOAD];
    uint32_t duration = d->elapsed > 0xffff ? 0xffff : d->elapsed;
    pl[0] = (uint8_t)d->event;
    pl[1] = (uint8_t)((end ? 0x80 : 0) | DTMF_VOLUME);
    pl[2] = (uint8_t)(duration >> 8);
    pl[3] = (uint8_t)duration;
    agora_rtp_send_on_audio_stream(m, m->dtmf_pt, marker, d->ts, pl, sizeof(pl));
}

/* Every other playout tick (20 ms, rtp_transport.c HOUSEKEEPING_TICKS): the key being sent grows by 20 ms; when it is
 * long enough its end packets leave, then a short gap, then the next key. */
void agora_rtp_dtmf_tick(agora_rtp_media *m, int64_t now_us)
{
    rtp_dtmf_send *d = &m->dtmf;
    if (!m->have_target || m->fd < 0 || m->dtmf_pt < 0) {
        d->count = 0; /* nowhere to send them */
        d->active = 0;
        return;
    }
    if (d->gap > 0) {
        d->gap--;
        return;
    }
    if (!d->active) {
        if (d->count == 0)
            return;
        d->event = d->events[d->head];
        d->total = (uint32_t)(d->durations[d->head] * (m->rate / 1000));
        d->head = (d->head + 1) % AGORA_RTP_DTMF_QUEUE;
        d->count--;
        d->active = 1;
        d->elapsed = 0;
        d->ts = agora_rtp_timestamp_now(m, now_us);
        send_event(m, d, 0, 1);
        return;
    }
    d->elapsed += (uint32_t)(m->rate / 50);
    if (d->elapsed < d->total) {
        send_event(m, d, 0, 0);
        return;
    }
    for (int i = 0; i < DTMF_END_COPIES; i++)
        send_event(m, d, 1, 0);
    m->st.dtmf_sent++;
    d->active = 0;
    d->gap = DTMF_GAP_TICKS;
}
