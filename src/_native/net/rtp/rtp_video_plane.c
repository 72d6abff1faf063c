/* Encoded video on the RTP transport (JANUS.md, media plane): VP8 (RFC 7741)
 * and H.264 (RFC 6184), keyframe requests by RTCP PLI. Encoded frames are
 * packetized as they come (pushed encoded, or encoded from raw pushes in the
 * pushing thread: video_encoder.h), and received frames are depacketized and
 * delivered byte for byte (decoded for raw subscriptions at delivery:
 * video_decoder.h).
 *
 * Send: our video stream (agora_rtc_conn_rtp_set_video_publish) leaves from
 * the connection's socket to the publish target, SSRC 1000 + 10*mindex,
 * payload type as announced (96 VP8 / 107 H.264 for Janus), RTP clock 90 kHz
 * from the frame's capture_time_ms (the time of the push when 0), every
 * packet of a frame with the same timestamp, marker on the last. The first
 * frame sent is followed by an RTCP SR to the publisher's RTCP port, so that
 * Janus latches our address there and can send us its PLIs (then every 5 s).
 *
 * Receive: each forwarded video stream has its own SSRC; packets go through
 * a reorder buffer (VIDEO_REORDER_SLOTS packets; a gap is given up after
 * REORDER_WAIT_US or when the buffer is full; a jump of the sequence beyond
 * the window is followed once two consecutive packets confirm it, a restart
 * further back after a run of more than the window; stray packets are
 * dropped), then the
 * depacketizer (video_rtp.h), which drops frames after a loss until a
 * keyframe. A PLI goes to the forward's feedback address (Janus's
 * local_rtcp_port of that forward) on a lost frame, on a delta frame while
 * waiting for a keyframe and on send_intra_request(uid), at most one per
 * PLI_MIN_INTERVAL_US per stream.
 *
 * Everything runs on the service's I/O thread (rtp_media.h). */
#include <stdlib.h>
#include <string.h>
#include "net/rtp/rtp_media.h"

#define VIDEO_CLOCK_KHZ 90                /* RTP clock of video: 90 kHz */
#define VIDEO_MAX_PAYLOAD 1200            /* bytes of payload per packet (fits any MTU path) */
#define REORDER_WAIT_US 40000             /* a missing packet is given up after this */
#define PLI_MIN_INTERVAL_US 300000        /* keyframe requests per stream at most this often */
#define VIDEO_SR_INTERVAL_US 5000000LL
#define KEY_FRAME 3                       /* Agora VIDEO_FRAME_TYPE_KEY_FRAME */
#define DELTA_FRAME 4                     /* VIDEO_FRAME_TYPE_DELTA_FRAME */

typedef struct vslot {
    int used;
    uint16_t seq;
    int marker;
    uint32_t ts;
    size_t len;
    uint8_t data[RECV_BUF];
} vslot;

typedef struct rtp_video_remote {
    uint32_t ssrc;
    char uid[AGORA_MAX_ID_LEN + 1];
    int codec;
    agora_srtp_session *srtp;          /* NULL: plain RTP */
    agora_video_depacketizer dp;
    /* reorder buffer: slot seq % VIDEO_REORDER_SLOTS */
    vslot *slots;
    int nheld;
    int have_next;
    uint16_t next;                     /* the sequence number the depacketizer needs next */
    int64_t gap_since_us;              /* when the oldest held packet started waiting */
    /* keyframe requests */
    int have_fb;
    struct sockaddr_storage fb;
    socklen_t fb_len;
    int64_t last_pli_us;
    int pli_due;                       /* a request is wanted but was rate-limited */
    /* delivery */
    int width, height;                 /* of the last keyframe */
    int have_ts;
    uint32_t last_ts;
    int64_t ext_ts, first_ext_ts;
    int behind_run;                    /* consecutive packets in a row behind the window */
    uint16_t behind_next;              /* the sequence number that continues that run */
    int have_jump;                     /* a packet far ahead was seen ... */
    uint16_t jump_next;                /* ... and this one would confirm the jump */
    uint64_t late;
} rtp_video_remote;

/* ------------------------------------------------------------ helpers */

static rtp_video_remote *find_ssrc(const agora_rtp_media *m, uint32_t ssrc)
{
    return rtp_streams_get(&m->vremotes, rtp_streams_find_ssrc(&m->vremotes, ssrc));
}

static rtp_video_remote *find_uid(const agora_rtp_media *m, const char *uid)
{
    return rtp_streams_get(&m->vremotes, rtp_streams_find_uid(&m->vremotes, uid));
}

static rtp_video_remote *vremote_at(const agora_rtp_media *m, int i)
{
    return m->vremotes.entries[i].stream;
}

int agora_rtp_video_has_ssrc(const agora_rtp_media *m, uint32_t ssrc)
{
    return m && find_ssrc(m, ssrc) != NULL;
}

static void remote_free(rtp_video_remote *r)
{
    agora_video_depacketizer_free(&r->dp);
    agora_srtp_session_destroy(r->srtp);
    free(r->slots);
    free(r);
}

/* Counters of a removed remote stay in the connection's totals. */
static void fold_stats(agora_rtp_media *m, const rtp_video_remote *r)
{
    m->st.video_frames_received += r->dp.frames_ready;
    m->st.video_frames_lost += r->dp.frames_lost;
    m->st.video_frames_skipped += r->dp.frames_skipped;
    m->st.video_late += r->late + r->dp.packets_ignored;
}

void agora_rtp_video_fill_stats(const agora_rtp_media *m, agora_rtp_transport_stats *out)
{
    for (int i = 0; m && i < m->vremotes.count; i++) {
        const rtp_video_remote *r = vremote_at(m, i);
        out->video_frames_received += r->dp.frames_ready;
        out->video_frames_lost += r->dp.frames_lost;
        out->video_frames_skipped += r->dp.frames_skipped;
        out->video_late += r->late + r->dp.packets_ignored;
    }
    if (m)
        out->video_remotes = m->vremotes.count;
}

/* ------------------------------------------------------------ send side */

int agora_rtp_video_set_publish(agora_rtc_conn *c, uint32_t ssrc, int codec, int pt)
{
    rtp_video_send *v = &agora_rtp_of(c)->vsend;
    if (!v->on || v->ssrc != ssrc || v->codec != codec) {
        memset(v, 0, sizeof(*v));
        uint16_t r = (uint16_t)agora_monotonic_ns();
        v->seq = r;
        v->picture_id = r & 0x7fff;
    }
    v->sent_sr = 0; /* a new publisher (reconnect) must latch our address again */
    agora_video_request_local_keyframe(c); /* and its subscribers need a keyframe */
    v->on = 1;
    v->ssrc = ssrc;
    v->codec = codec;
    v->pt = pt;
    atomic_store(&c->video.rtp_codec, codec);
    return AGORA_OK;
}

static void send_video_sr(agora_rtp_media *m, int64_t now)
{
    rtp_video_send *v = &m->vsend;
    uint8_t buf[128];
    agora_rtcp_sender_info si;
    si.ntp = agora_ntp_now();
    si.rtp_ts = v->last_ts + (uint32_t)((now - v->last_pkt_us) / 1000 * VIDEO_CLOCK_KHZ);
    si.packet_count = v->sr_packets;
    si.octet_count = v->sr_octets;
    int n = agora_rtcp_build_sr(buf, sizeof(buf), v->ssrc, &si, NULL, 0);
    if (n > 0 && agora_rtp_sendto(m, buf, (size_t)n, &m->rtcp_dst, m->rtcp_len, 1) == 0)
        v->sent_sr = 1;
    v->next_sr_us = now + VIDEO_SR_INTERVAL_US;
}

/* The 90 kHz timestamp of a frame captured at cap_ms: the first frame sets
 * the origin; later ones follow their capture times, strictly increasing. */
static uint32_t frame_timestamp(rtp_video_send *v, int64_t cap_ms)
{
    if (!v->have_origin) {
        v->have_origin = 1;
        v->origin_ms = cap_ms;
        v->ts_origin = (uint32_t)agora_monotonic_ns();
        v->last_ts = v->ts_origin;
        return v->ts_origin;
    }
    /* unsigned: any pushed capture time wraps on the 32-bit RTP clock, never overflows */
    uint32_t ts = v->ts_origin + (uint32_t)((uint64_t)cap_ms - (uint64_t)v->origin_ms) * VIDEO_CLOCK_KHZ;
    if ((int32_t)(ts - v->last_ts) <= 0)
        ts = v->last_ts + 1;
    v->last_ts = ts;
    return ts;
}

void agora_rtp_video_send_frame(agora_service *svc, agora_rtc_conn *c, agora_video_buf *b)
{
    (void)svc;
    agora_rtp_media *m = agora_rtp_of(c);
    if (!b || !m || m->fd < 0 || !m->have_target || !m->vsend.on)
        return; /* disconnected after the push was accepted */
    rtp_video_send *v = &m->vsend;
    if (b->info.codec_type != v->codec) {
        m->st.video_refused++;
        return;
    }
    agora_video_packetizer p;
    int rc = v->codec == AGORA_VIDEO_RTP_VP8
                 ? agora_vp8_packetizer_start(&p, b->bytes, b->length, v->picture_id, VIDEO_MAX_PAYLOAD)
                 : agora_h264_packetizer_start(&p, b->bytes, b->length, VIDEO_MAX_PAYLOAD);
    if (rc != AGORA_OK) {
        m->st.video_refused++; /* not a bitstream of that codec (e.g. no start code) */
        return;
    }
    int64_t now = agora_rtp_now_us();
    int64_t cap_ms = b->info.capture_time_ms > 0 ? b->info.capture_time_ms : now / 1000;
    uint32_t ts = frame_timestamp(v, cap_ms);
    v->picture_id = (uint16_t)((v->picture_id + 1) & 0x7fff);
    uint8_t pkt[AGORA_RTP_HEADER_SIZE + VIDEO_MAX_PAYLOAD];
    int marker = 0, n;
    while ((n = agora_video_packetizer_next(&p, pkt + AGORA_RTP_HEADER_SIZE,
                                            sizeof(pkt) - AGORA_RTP_HEADER_SIZE, &marker)) > 0) {
        agora_rtp_write_header(pkt, sizeof(pkt), marker, v->pt, v->seq++, ts, v->ssrc);
        if (agora_rtp_sendto(m, pkt, AGORA_RTP_HEADER_SIZE + (size_t)n, &m->dst, m->dst_len, 0) == 0)
            m->st.video_packets_sent++;
        v->sr_packets++;
        v->sr_octets += (uint32_t)n;
    }
    v->last_pkt_us = now;
    m->st.video_frames_sent++;
    agora_video_count(&c->video.sent_frames);
    if (m->have_rtcp && !v->sent_sr)
        send_video_sr(m, now); /* Janus learns where to send its keyframe requests */
}

void agora_rtp_video_on_feedback(agora_service *svc, agora_rtc_conn *c, const agora_rtcp_packet *p)
{
    agora_rtp_media *m = agora_rtp_of(c);
    if (!m || !m->vsend.on || !agora_rtcp_is_keyframe_request(p, m->vsend.ssrc, NULL, NULL))
        return;
    m->st.plis_received++;
    agora_video_count(&c->video.intra_requests);
    agora_video_request_local_keyframe(c); /* raw frames pushed here: the encoder's next is a key */
    /* Janus does not say which subscriber asked: from_user_id is empty */
    agora_video_emit(svc, c, EV_INTRA_REQUEST, "");
}

/* ------------------------------------------------------------ receive side */

int agora_rtp_video_add_remote(agora_service *svc, agora_rtc_conn *c, uint32_t ssrc, const char *uid,
                               int codec, int srtp_suite, const uint8_t *key)
{
    agora_rtp_media *m = agora_rtp_of(c);
    if (!m || m->fd < 0)
        return AGORA_ERR_NOT_READY;
    if (find_ssrc(m, ssrc) || find_uid(m, uid))
        return AGORA_ERR_INVALID_STATE;
    rtp_video_remote *r = calloc(1, sizeof(*r));
    if (!r)
        return AGORA_ERR_NO_MEMORY;
    r->ssrc = ssrc;
    r->codec = codec;
    agora_copy_id(r->uid, uid);
    r->slots = calloc(VIDEO_REORDER_SLOTS, sizeof(*r->slots));
    int rc = r->slots ? agora_video_depacketizer_init(&r->dp, codec, AGORA_VIDEO_MAX_ENCODED)
                      : AGORA_ERR_NO_MEMORY;
    if (rc == AGORA_OK && srtp_suite &&
        !(r->srtp = agora_srtp_session_create(srtp_suite, key, AGORA_SRTP_MASTER_LEN)))
        rc = AGORA_ERR_FAILED;
    if (rc == AGORA_OK)
        rc = rtp_streams_add(&m->vremotes, ssrc, r->uid, r);
    if (rc != AGORA_OK) {
        remote_free(r);
        return rc;
    }
    int mode = agora_video_sub_mode(c, uid);
    pthread_mutex_lock(&c->mu);
    int observed = c->video.obs_set[VOBS_USER] && !c->destroyed;
    pthread_mutex_unlock(&c->mu);
    if (mode != VSUB_NONE && observed) {
        agora_event *ev = agora_event_alloc(EV_VIDEO_TRACK_SUBSCRIBED, c, 0);
        if (ev) {
            agora_copy_id(ev->uid, uid);
            agora_copy_id(ev->channel_id, m->channel_id);
            ev->b = mode == VSUB_ENCODED;
            agora_workq_push(&svc->delivery_q, &ev->node);
        }
    }
    return AGORA_OK;
}

int agora_rtp_video_remove_remote(agora_rtp_media *m, uint32_t ssrc)
{
    int i = rtp_streams_find_ssrc(&m->vremotes, ssrc);
    if (i < 0)
        return AGORA_ERR_INVALID_ARGUMENT;
    rtp_video_remote *r = rtp_streams_take(&m->vremotes, i);
    fold_stats(m, r);
    remote_free(r);
    return AGORA_OK;
}

void agora_rtp_video_remove_all(agora_rtp_media *m)
{
    while (m->vremotes.count > 0)
        agora_rtp_video_remove_remote(m, m->vremotes.entries[m->vremotes.count - 1].ssrc);
}

int agora_rtp_video_set_feedback(agora_rtp_media *m, uint32_t ssrc, const char *ip, uint16_t port)
{
    rtp_video_remote *r = find_ssrc(m, ssrc);
    if (!r || m->fd < 0)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (agora_rtp_parse_addr(ip, port, m->family, &r->fb, &r->fb_len) != AGORA_OK)
        return AGORA_ERR_INVALID_ARGUMENT;
    r->have_fb = 1;
    return AGORA_OK;
}

/* A PLI for r now, unless one left less than PLI_MIN_INTERVAL_US ago (then
 * it is sent by the tick once the interval is over). */
static void request_keyframe(agora_rtp_media *m, rtp_video_remote *r, int64_t now)
{
    if (!r->have_fb) {
        m->st.plis_unsent++;
        return;
    }
    if (r->last_pli_us && now - r->last_pli_us < PLI_MIN_INTERVAL_US) {
        r->pli_due = 1;
        return;
    }
    uint8_t buf[AGORA_RTCP_PLI_SIZE];
    uint32_t sender = m->vsend.on ? m->vsend.ssrc : m->ssrc;
    int n = agora_rtcp_build_pli(buf, sizeof(buf), sender, r->ssrc);
    r->pli_due = 0;
    r->last_pli_us = now;
    if (n > 0 && agora_rtp_sendto(m, buf, (size_t)n, &r->fb, r->fb_len, 1) == 0)
        m->st.plis_sent++;
}

int agora_rtp_video_encode_codec(const agora_rtc_conn *c)
{
    return atomic_load(&c->video.rtp_codec);
}

int agora_rtp_video_codec_ok(const agora_rtc_conn *c, int codec)
{
    /* not the codec announced to Janus (or video=none) */
    return codec == atomic_load(&c->video.rtp_codec) ? AGORA_OK : AGORA_ERR_NOT_SUPPORTED;
}

int agora_rtp_video_frame_ok(const agora_rtc_conn *c, const uint8_t *data, size_t length, int codec)
{
    (void)c;
    agora_video_packetizer check;
    if (codec == AGORA_VIDEO_RTP_H264 &&
        agora_h264_packetizer_start(&check, data, length, AGORA_VIDEO_RTP_MAX_PAYLOAD) != AGORA_OK)
        return AGORA_ERR_INVALID_ARGUMENT;
    return AGORA_OK;
}

int agora_rtp_video_request_keyframe(agora_service *svc, agora_rtc_conn *c, const char *uid)
{
    (void)svc;
    agora_rtp_media *m = agora_rtp_of(c);
    rtp_video_remote *r = m && m->fd >= 0 ? find_uid(m, uid) : NULL;
    if (!r)
        return AGORA_ERR_INVALID_ARGUMENT; /* no forwarded video of that user */
    if (!r->have_fb)
        return AGORA_ERR_NOT_SUPPORTED;
    request_keyframe(m, r, agora_rtp_now_us());
    return AGORA_OK;
}

/* Hand a completed frame to the connection's video delivery. */
static void deliver(agora_service *svc, agora_rtc_conn *c, agora_rtp_media *m, rtp_video_remote *r)
{
    agora_video_rtp_frame f;
    if (agora_video_depacketizer_frame(&r->dp, &f) != AGORA_OK)
        return;
    if (f.keyframe && f.width > 0 && f.height > 0) {
        r->width = f.width;
        r->height = f.height;
    }
    if (!r->have_ts) {
        r->have_ts = 1;
        r->ext_ts = r->first_ext_ts = f.rtp_ts;
    } else {
        r->ext_ts += (int32_t)(f.rtp_ts - r->last_ts);
    }
    r->last_ts = f.rtp_ts;
    if (agora_video_sub_mode(c, r->uid) == VSUB_NONE)
        return;
    agora_encoded_video_info info;
    memset(&info, 0, sizeof(info));
    info.codec_type = r->codec;
    info.width = r->width;
    info.height = r->height;
    info.frame_type = f.keyframe ? KEY_FRAME : DELTA_FRAME;
    info.capture_time_ms = agora_rtp_now_us() / 1000;   /* arrival: the sender's clock is not known */
    info.presentation_ms = (r->ext_ts - r->first_ext_ts) / VIDEO_CLOCK_KHZ;
    agora_video_buf *b = agora_video_buf_new_encoded(f.data, f.len, &info);
    if (!b) {
        agora_video_count(&c->video.dropped_backlog);
        return;
    }
    agora_video_deliver_remote(svc, c, r->uid, m->channel_id, b);
    agora_video_buf_unref(b);
}

/* One packet, in sequence order, into the depacketizer. */
static void depacketize(agora_service *svc, agora_rtc_conn *c, agora_rtp_media *m, rtp_video_remote *r,
                        const vslot *s, int64_t now)
{
    int res = agora_video_depacketizer_push(&r->dp, s->seq, s->ts, s->marker, s->data, s->len);
    if (res == AGORA_VIDEO_DEPACK_FRAME_READY)
        deliver(svc, c, m, r);
    if (res == AGORA_VIDEO_DEPACK_FRAME_LOST || res == AGORA_VIDEO_DEPACK_FRAME_SKIPPED ||
        (res == AGORA_VIDEO_DEPACK_FRAME_READY && agora_video_depacketizer_waiting_keyframe(&r->dp)))
        request_keyframe(m, r, now);
}

/* Feed every held packet that is next in sequence. */
static void drain(agora_service *svc, agora_rtc_conn *c, agora_rtp_media *m, rtp_video_remote *r,
                  int64_t now)
{
    int fed = 0;
    for (;;) {
        vslot *s = &r->slots[r->next % VIDEO_REORDER_SLOTS];
        if (!s->used || s->seq != r->next)
            break;
        depacketize(svc, c, m, r, s, now);
        s->used = 0;
        r->nheld--;
        r->next++;
        fed = 1;
    }
    if (r->nheld == 0)
        r->gap_since_us = 0;
    else if (fed || !r->gap_since_us)
        r->gap_since_us = now; /* a (new) gap starts waiting */
}

/* Give up the missing packets before the oldest held one, and feed on. */
static void skip_gap(agora_service *svc, agora_rtc_conn *c, agora_rtp_media *m, rtp_video_remote *r,
                     int64_t now)
{
    int best = -1;
    for (int i = 0; i < VIDEO_REORDER_SLOTS; i++) {
        const vslot *s = &r->slots[i];
        if (s->used && (best < 0 || (int16_t)(s->seq - r->slots[best].seq) < 0))
            best = i;
    }
    if (best < 0)
        return;
    r->next = r->slots[best].seq;
    drain(svc, c, m, r, now);
}

int agora_rtp_video_on_rtp(agora_service *svc, agora_rtc_conn *c, uint8_t *buf, size_t len,
                           uint32_t ssrc, int64_t now)
{
    agora_rtp_media *m = agora_rtp_of(c);
    rtp_video_remote *r = find_ssrc(m, ssrc);
    if (!r)
        return 0;
    if (r->srtp) {
        int n = agora_srtp_unprotect(r->srtp, buf, len);
        if (n < 0) {
            m->st.srtp_errors++;
            return 1;
        }
        len = (size_t)n;
    }
    agora_rtp_packet p;
    /* an empty payload (padding only, e.g. a browser's bandwidth probe) still
     * takes its sequence number: dropping it would look like a loss */
    if (agora_rtp_parse(buf, len, &p) != AGORA_OK || p.payload_len > sizeof(r->slots[0].data)) {
        m->st.malformed++;
        return 1;
    }
    m->st.rtp_received++;
    m->st.video_packets_received++;
    if (!r->have_next) {
        r->have_next = 1;
        r->next = p.seq;
    }
    int16_t ahead = (int16_t)(p.seq - r->next);
    if (ahead < 0) {
        /* behind what was fed already: late or duplicate, unless a run of
         * consecutive sequence numbers longer than the window says the
         * sender restarted further back */
        r->behind_run = r->behind_run && p.seq == r->behind_next ? r->behind_run + 1 : 1;
        r->behind_next = (uint16_t)(p.seq + 1);
        if (r->behind_run <= VIDEO_REORDER_SLOTS) {
            r->late++;
            return 1;
        }
    }
    r->behind_run = 0;
    if (ahead < 0) { /* the sender's sequence restarted further back: follow it */
        while (r->nheld > 0)
            skip_gap(svc, c, m, r, now);
        agora_video_depacketizer_reset(&r->dp);
        r->next = p.seq;
        ahead = 0;
    }
    if (ahead >= VIDEO_REORDER_SLOTS) {
        /* a jump ahead is followed once the next packet confirms it (a stray
         * datagram with our SSRC does not throw the stream away) */
        if (!r->have_jump || p.seq != r->jump_next) {
            r->have_jump = 1;
            r->jump_next = (uint16_t)(p.seq + 1);
            r->late++;
            return 1;
        }
        while (r->nheld > 0) /* whatever is held goes first */
            skip_gap(svc, c, m, r, now);
        r->next = p.seq; /* the depacketizer sees the gap */
    }
    r->have_jump = 0;
    vslot *s = &r->slots[p.seq % VIDEO_REORDER_SLOTS];
    if (s->used) {
        r->late++; /* duplicate of a held packet */
        return 1;
    }
    s->used = 1;
    s->seq = p.seq;
    s->ts = p.timestamp;
    s->marker = p.marker;
    s->len = p.payload_len;
    memcpy(s->data, p.payload, p.payload_len);
    r->nheld++;
    drain(svc, c, m, r, now);
    while (r->nheld >= VIDEO_REORDER_SLOTS - 1) /* full: the gap cannot wait any longer */
        skip_gap(svc, c, m, r, now);
    return 1;
}

void agora_rtp_video_tick(agora_service *svc, agora_rtc_conn *c, int64_t now)
{
    agora_rtp_media *m = agora_rtp_of(c);
    for (int i = 0; i < m->vremotes.count; i++) {
        rtp_video_remote *r = vremote_at(m, i);
        while (r->nheld > 0 && now - r->gap_since_us >= REORDER_WAIT_US)
            skip_gap(svc, c, m, r, now);
        if (r->pli_due && now - r->last_pli_us >= PLI_MIN_INTERVAL_US)
            request_keyframe(m, r, now);
    }
    rtp_video_send *v = &m->vsend;
    if (v->on && v->sent_sr && m->have_rtcp && now >= v->next_sr_us)
        send_video_sr(m, now);
}
