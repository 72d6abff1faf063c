/* The `rtp` transport of a connection (rtp_transport.h, JANUS.md media plane).
 *
 * Everything here except the public entry points at the bottom runs on the
 * service's I/O thread, which owns each connection's agora_rtp_media: the
 * UDP socket, the send side (resampler -> 20 ms accumulator -> Opus encoder
 * -> RTP) and the remote streams (SRTP -> RTP parse -> jitter buffer; the
 * playout timer pulls and queues a receive job per stream, which decodes
 * the Opus packet at the observer's rate and feeds the receive path shared
 * with the local hub, on the receive pool's threads: receive_pool.h). None
 * of it is locked: the public functions post work items and
 * wait for the I/O thread to carry them out. conn->mu is taken only to read
 * or change the state and observer settings, never around codec or socket work.
 *
 * Lifetime: a connection's media struct is allocated by its first rtp_open
 * and freed with the connection. While its socket is open, the connection
 * is in the list of the RTP state of its service (rtp_service) with a
 * reference, so neither the connection nor the
 * media can go away under an epoll event; closing (disconnect, DISCONNECTED
 * or FAILURE events, destroy, service release) removes the socket from epoll
 * before anything else. The I/O loop handles socket events before work
 * items (which are the only thing that closes sockets), and the playout
 * timer after them. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "audio/send/encoded_packet.h"
#include "engine/engine.h"
#include "net/rtp/jitter_buffer.h"
#include "audio/codec/g711.h"
#include "audio/codec/opus_codec.h"
#include "audio/dsp/resampler.h"
#include "net/rtp/rtp.h"
#include "net/rtp/rtp_media.h"
#include "net/rtp/srtp_session.h"
#include "net/transports.h"
#include "core/growable.h"

#define RTP_PT_COMFORT_NOISE 13 /* RFC 3389's static payload type (RFC 3551) */
#define OPUS_RATE AGORA_OPUS_SAMPLE_RATE
#define PKT_SAMPLES AGORA_OPUS_FRAME_SAMPLES  /* 960: 20 ms at 48 kHz, mono (the longest we send) */
#define PLAYOUT_NS (AGORA_PLAYOUT_TICK_MS * 1000000LL) /* playout timer period (10 ms) */
#define HOUSEKEEPING_TICKS 2                  /* DTMF, keepalives, SR, video: every 20 ms */
#define MAX_CATCH_UP_PULLS 20                 /* a late timer runs at most this many pulls */
#define RS_CHUNK 480                          /* input frames per resampler call */
#define RS_FLUSH_FRAMES 16                    /* >= the resampler's delay when upsampling (T/2) */
#define ROUND_GAP_US 40000                    /* no frame cut for this long: the round is over */
#define SR_INTERVAL_US 5000000LL              /* RTCP sender report period */
#define KEEPALIVE_US (AGORA_RTP_KEEPALIVE_MS * 1000LL) /* idle time before (and between) keepalives */
#define MAX_RECV_PER_WAKE 64                  /* datagrams per socket per loop turn (fairness) */
#define SOCKET_RCVBUF (4 << 20)               /* kernel receive buffer asked for (bytes) */
#define OPUS_BITRATE 32000
#define OPUS_LOSS_PERC 10                     /* FEC sized for 10 % loss */
#define MAX_IP_LEN 63

/* ------------------------------------------------------------ helpers */

static int64_t now_us(void)
{
    return agora_monotonic_ns() / 1000;
}

int64_t agora_rtp_now_us(void)
{
    return now_us();
}

static uint32_t random_u32(void)
{
    uint32_t v;
    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
        return v;
    return (uint32_t)agora_monotonic_ns() * 2654435761u;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int valid_id(const char *s)
{
    return s && s[0] && strnlen(s, AGORA_MAX_ID_LEN + 1) <= AGORA_MAX_ID_LEN;
}

/* Numeric IPv4/IPv6 literal -> sockaddr (family AF_UNSPEC = any). */
static int parse_addr(const char *ip, uint16_t port, int family, struct sockaddr_storage *out,
                      socklen_t *len)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    char service[8];
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    if (getaddrinfo(ip, service, &hints, &res) != 0 || !res)
        return AGORA_ERR_INVALID_ARGUMENT;
    int rc = AGORA_ERR_INVALID_ARGUMENT;
    if (res->ai_addrlen <= sizeof(*out)) {
        memset(out, 0, sizeof(*out));
        memcpy(out, res->ai_addr, res->ai_addrlen);
        *len = res->ai_addrlen;
        rc = AGORA_OK;
    }
    freeaddrinfo(res);
    return rc;
}

int agora_rtp_parse_addr(const char *ip, uint16_t port, int family, struct sockaddr_storage *out,
                         socklen_t *len)
{
    return parse_addr(ip, port, family, out, len);
}

int agora_rtp_sendto(agora_rtp_media *m, const uint8_t *buf, size_t len,
                     const struct sockaddr_storage *to, socklen_t tolen, int rtcp)
{
    uint32_t sealed[(RECV_BUF + AGORA_SRTP_MAX_TRAILER) / 4]; /* 4-byte aligned for libsrtp */
    if (m->srtp_tx) { /* SRTP / SRTCP: protected in a copy (the caller's packet is kept) */
        if (len > RECV_BUF) {
            m->st.send_errors++;
            return -1;
        }
        memcpy(sealed, buf, len);
        int n = rtcp ? agora_srtp_protect_rtcp(m->srtp_tx, (uint8_t *)sealed, len, sizeof(sealed))
                     : agora_srtp_protect(m->srtp_tx, (uint8_t *)sealed, len, sizeof(sealed));
        if (n <= 0) {
            m->st.send_errors++;
            return -1;
        }
        buf = (const uint8_t *)sealed;
        len = (size_t)n;
    }
    ssize_t sent = sendto(m->fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)to, tolen);
    if (sent != (ssize_t)len) {
        m->st.send_errors++;
        return -1;
    }
    if (rtcp) {
        m->st.rtcp_sent++;
    } else {
        m->st.packets_sent++;
        m->st.bytes_sent += len;
    }
    return 0;
}

static pthread_once_t srtp_once = PTHREAD_ONCE_INIT;
static int srtp_ready;

static void srtp_init_once(void)
{
    srtp_ready = agora_srtp_library_init() == AGORA_OK;
}

/* ------------------------------------------------------------ playout timer */

/* The RTP transport's state of a service (its slot of svc->net): the
 * connections with an open socket, each holding a reference, and the playout
 * grid. Made by the first rtp_open, freed at loop exit; I/O thread only. */
typedef struct rtp_service {
    agora_rtc_conn **conns;
    int count, cap;
    int64_t play_deadline_ns;  /* the playout tick being run */
    uint64_t ticks;            /* playout ticks run (housekeeping runs every HOUSEKEEPING_TICKS) */
} rtp_service;

static rtp_service *rtp_service_of(agora_service *svc, int create)
{
    if (!svc->net[AGORA_TRANSPORT_RTP] && create)
        svc->net[AGORA_TRANSPORT_RTP] = calloc(1, sizeof(rtp_service));
    return svc->net[AGORA_TRANSPORT_RTP];
}

static void arm_timer(agora_service *svc, int on)
{
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    if (on) {
        int64_t first = agora_monotonic_ns() + PLAYOUT_NS;
        its.it_value.tv_sec = (time_t)(first / 1000000000LL);
        its.it_value.tv_nsec = (long)(first % 1000000000LL);
        its.it_interval.tv_nsec = (long)PLAYOUT_NS;
        rtp_service_of(svc, 0)->play_deadline_ns = first;
    }
    /* absolute deadlines: the kernel keeps the 10 ms grid, read() counts misses */
    timerfd_settime(svc->io_timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int list_add(agora_service *svc, agora_rtc_conn *c)
{
    rtp_service *rs = rtp_service_of(svc, 1);
    void *grown = rs ? agora_grow(rs->conns, rs->count, &rs->cap, sizeof(*rs->conns), 8) : NULL;
    if (!grown)
        return AGORA_ERR_NO_MEMORY;
    rs->conns = grown;
    agora_conn_ref(c);
    rs->conns[rs->count++] = c;
    if (rs->count == 1)
        arm_timer(svc, 1);
    return AGORA_OK;
}

/* Drops the list's reference: c may be freed when the caller holds none. */
static void list_remove(agora_service *svc, agora_rtc_conn *c)
{
    rtp_service *rs = rtp_service_of(svc, 0);
    for (int i = 0; rs && i < rs->count; i++) {
        if (rs->conns[i] == c) {
            rs->conns[i] = rs->conns[--rs->count];
            if (rs->count == 0)
                arm_timer(svc, 0);
            agora_conn_unref(c);
            return;
        }
    }
}

/* ------------------------------------------------------------ remotes */

static rtp_remote *find_remote(const agora_rtp_media *m, uint32_t ssrc)
{
    return rtp_streams_get(&m->remotes, rtp_streams_find_ssrc(&m->remotes, ssrc));
}

static rtp_remote *find_remote_uid(const agora_rtp_media *m, const char *uid)
{
    return rtp_streams_get(&m->remotes, rtp_streams_find_uid(&m->remotes, uid));
}

static rtp_remote *remote_at(const agora_rtp_media *m, int i)
{
    return m->remotes.entries[i].stream;
}

static void remote_free(rtp_remote *r)
{
    agora_jb_destroy(r->jb);
    agora_opus_decoder_destroy(r->dec);
    agora_g722_decoder_destroy(r->g722);
    agora_srtp_session_destroy(r->srtp);
    agora_sent_frame_unref(r->frame);
    free(r);
}

/* Add remote r's counters to out (the connection's totals, or a stats answer);
 * removing: r goes away, and what it still buffers is discarded with it. */
static void add_remote_stats(agora_rtp_transport_stats *out, const rtp_remote *r, int removing)
{
    agora_jb_stats js;
    agora_jb_get_stats(r->jb, &js);
    out->lost += js.lost;
    out->late += js.late;
    out->duplicates += js.duplicates;
    out->jb_dropped += js.dropped + js.flushed;
    out->jb_invalid += js.invalid;
    out->jb_stale += js.stale;
    out->jb_spikes += js.spikes;
    if (removing)
        out->jb_dropped += (uint64_t)js.buffered;
    else
        out->jb_buffered += (uint64_t)js.buffered;
    out->packets_played += js.played;
    out->packets_not_decoded += r->not_decoded;
    out->frames_decoded += r->po.decoded;
    out->fec_recoveries += r->po.fec;
    out->plc_frames += r->po.plc + js.silent_underruns;
    out->decode_errors += r->po.decode_errors;
}

/* Keep the remote's counters in the connection's totals. */
static void fold_remote_stats(agora_rtp_media *m, const rtp_remote *r)
{
    add_remote_stats(&m->st, r, 1);
}

/* Remove remote i: counters kept, receive path dropped. */
static void drop_remote(agora_rtp_media *m, int i)
{
    rtp_remote *r = rtp_streams_take(&m->remotes, i);
    fold_remote_stats(m, r);
    agora_rx_table_drop(&m->conn->rx, r->uid);
    remote_free(r);
}

static int rtp_has_remote(const agora_rtc_conn *c, const char *uid)
{
    return agora_rtp_of(c) && find_remote_uid(agora_rtp_of(c), uid) != NULL;
}

static void rtp_subscribe_all(agora_service *svc, agora_rtc_conn *c)
{
    agora_rtp_media *m = agora_rtp_of(c);
    for (int i = 0; m && i < m->remotes.count; i++)
        if (!agora_io_subscribed(c, remote_at(m, i)->uid))
            agora_io_emit(svc, c, EV_TRACK_SUBSCRIBED, remote_at(m, i)->uid, 0, 0, 0);
}

/* ------------------------------------------------------------ send side */

/* Send the audio packet whose payload (n bytes) already follows the header
 * room of pkt, with timestamp ts: header, sequence, marker, SR counters. */
static void send_rtp_payload(agora_rtp_media *m, uint8_t *pkt, size_t cap, size_t n, uint32_t ts)
{
    agora_rtp_write_header(pkt, cap, m->marker, m->pt, m->seq, ts, m->ssrc);
    m->marker = 0;
    m->seq++;
    agora_rtp_sendto(m, pkt, AGORA_RTP_HEADER_SIZE + n, &m->dst, m->dst_len, 0);
    m->sr_packets++;
    m->sr_octets += (uint32_t)n;
    m->last_pkt_ts = ts;
    m->last_pkt_us = now_us();
}

/* The duration of the packets we send now, in samples at m->pcm_rate: Opus
 * follows agora_rtc_conn_set_audio_packet_ms (10 or 20 ms), G.711 / G.722 the
 * phone's ptime (pkt_samples, agora_rtc_conn_rtp_set_audio_codec). */
static int send_samples(const agora_rtp_media *m)
{
    if (m->codec != AGORA_RTP_AUDIO_OPUS)
        return m->pkt_samples;
    return atomic_load(&m->conn->audio_packet_ms) == 10 ? m->pkt_samples / 2 : m->pkt_samples;
}

void agora_rtp_send_on_audio_stream(agora_rtp_media *m, int pt, int marker, uint32_t ts,
                                    const uint8_t *payload, size_t n)
{
    uint8_t pkt[AGORA_RTP_HEADER_SIZE + 64];
    if (n > sizeof(pkt) - AGORA_RTP_HEADER_SIZE)
        return;
    agora_rtp_write_header(pkt, sizeof(pkt), marker, pt, m->seq, ts, m->ssrc);
    memcpy(pkt + AGORA_RTP_HEADER_SIZE, payload, n);
    m->seq++;
    agora_rtp_sendto(m, pkt, AGORA_RTP_HEADER_SIZE + n, &m->dst, m->dst_len, 0);
    m->sr_packets++;
    m->sr_octets += (uint32_t)n;
    m->last_pkt_us = now_us();
}

static void send_packet(agora_rtp_media *m, const int16_t *pcm, int samples)
{
    uint8_t pkt[AGORA_RTP_HEADER_SIZE + AGORA_OPUS_MAX_PACKET];
    int n;
    if (m->codec == AGORA_RTP_AUDIO_OPUS) {
        int complexity = atomic_load(&m->conn->opus_complexity);
        if (complexity != m->enc_complexity &&
            agora_opus_encoder_set_complexity(m->enc, complexity) == AGORA_OK)
            m->enc_complexity = complexity;
        n = agora_opus_encode_frame(m->enc, pcm, samples, pkt + AGORA_RTP_HEADER_SIZE,
                                    AGORA_OPUS_MAX_PACKET);
    } else if (m->codec == AGORA_RTP_AUDIO_G722) { /* a byte per 2 samples (<= 480 bytes) */
        n = agora_g722_encode(m->g722, pcm, samples, pkt + AGORA_RTP_HEADER_SIZE);
    } else { /* G.711: a byte per sample (<= 480 < AGORA_OPUS_MAX_PACKET) */
        agora_g711_encode(m->codec == AGORA_RTP_AUDIO_PCMA, pcm, (size_t)samples,
                          pkt + AGORA_RTP_HEADER_SIZE);
        n = samples;
    }
    uint32_t ts = m->ts;
    /* the timeline advances even if this packet is lost (G.722: half a tick a sample) */
    m->ts += (uint32_t)(samples / (m->pcm_rate / m->rate));
    if (n <= 0) {
        m->st.encode_errors++;
        return;
    }
    send_rtp_payload(m, pkt, sizeof(pkt), (size_t)n, ts);
}

static void drain_acc(agora_rtp_media *m);

/* Send a pushed Opus packet as is (push_audio_encoded_data): no re-encoding.
 * PCM still in the accumulator leaves first, padded to a whole packet. */
static void send_encoded(agora_rtp_media *m, const agora_encoded_packet *p)
{
    if (m->acc_len > 0) {
        const int pkt = send_samples(m);
        int total = (m->acc_len + pkt - 1) / pkt * pkt;
        memset(m->acc + m->acc_len, 0, sizeof(int16_t) * (size_t)(total - m->acc_len));
        m->acc_len = total;
        drain_acc(m);
    }
    uint8_t pkt[AGORA_RTP_HEADER_SIZE + AGORA_MAX_ENCODED_AUDIO_BYTES];
    uint32_t ts = m->ts;
    m->ts += (uint32_t)p->info.samples_per_channel;
    memcpy(pkt + AGORA_RTP_HEADER_SIZE, p->data, p->length);
    send_rtp_payload(m, pkt, sizeof(pkt), p->length, ts);
}

/* Encode and send every whole packet (10 or 20 ms) in the accumulator. */
static void drain_acc(agora_rtp_media *m)
{
    const int pkt = send_samples(m);
    int off = 0;
    while (m->acc_len - off >= pkt) {
        send_packet(m, m->acc + off, pkt);
        off += pkt;
    }
    if (off) {
        m->acc_len -= off;
        memmove(m->acc, m->acc + off, sizeof(int16_t) * (size_t)m->acc_len);
    }
}

/* Push what the resampler still holds (its filter delay) into the accumulator. */
static void flush_resampler(agora_rtp_media *m)
{
    if (!m->rs)
        return;
    static const int16_t zeros[RS_FLUSH_FRAMES * 2];
    int got = agora_resampler_process(m->rs, zeros, RS_FLUSH_FRAMES, m->acc + m->acc_len,
                                      ACC_CAP - m->acc_len);
    if (got > 0)
        m->acc_len += got;
}

static void send_keepalive(agora_rtp_media *m, int64_t now);

static void end_round(agora_rtp_media *m)
{
    if (!m->in_round)
        return;
    flush_resampler(m);
    /* zero-pad so that the last real sample is out of the encoder's
     * look-ahead too, in whole packets */
    const int pkt = send_samples(m);
    int need = m->acc_len + m->lookahead;
    int total = (need + pkt - 1) / pkt * pkt;
    if (total > ACC_CAP)
        total = ACC_CAP / pkt * pkt;
    if (total > m->acc_len)
        memset(m->acc + m->acc_len, 0, sizeof(int16_t) * (size_t)(total - m->acc_len));
    m->acc_len = total;
    if (m->have_target && m->fd >= 0) {
        drain_acc(m);
        /* the talk spurt is over: a keepalive right after its last packet tells
         * the receivers' jitter buffers so (their audio ends there, no underrun) */
        send_keepalive(m, now_us());
    }
    m->acc_len = 0;
    m->in_round = 0;
    agora_resampler_reset(m->rs);
}

static void rtp_end_round(agora_service *svc, agora_rtc_conn *c)
{
    (void)svc;
    if (agora_rtp_of(c))
        end_round(agora_rtp_of(c));
}

static int ensure_resampler(agora_rtp_media *m, int rate, int ch)
{
    if (m->rs && m->rs_rate == rate && m->rs_ch == ch)
        return AGORA_OK;
    flush_resampler(m); /* the old format's last samples */
    agora_resampler_destroy(m->rs);
    m->rs = agora_resampler_create(rate, ch, m->pcm_rate, 1);
    m->rs_rate = rate;
    m->rs_ch = ch;
    return m->rs ? AGORA_OK : AGORA_ERR_NO_MEMORY;
}

static void send_frame(agora_rtp_media *m, const agora_sent_frame *f)
{
    if (m->in_round && f->send_time_us - m->last_frame_us > ROUND_GAP_US)
        end_round(m); /* the timer did not see the gap yet */
    if (!m->in_round) {
        m->in_round = 1;
        m->marker = 1;
        m->acc_len = 0;
        agora_resampler_reset(m->rs);
        /* the timestamp follows the wall clock across pauses, so the far
         * jitter buffer sees a pause, not a burst of late packets */
        if (!m->have_origin) {
            m->have_origin = 1;
            m->ts_origin = m->ts;
            m->t_origin_us = f->send_time_us;
        } else {
            uint32_t wall = m->ts_origin +
                            (uint32_t)((f->send_time_us - m->t_origin_us) * (m->rate / 1000) / 1000);
            if ((int32_t)(wall - m->ts) > 0)
                m->ts = wall;
        }
    }
    m->last_frame_us = f->send_time_us;
    if (f->encoded_only && f->sample_rate == OPUS_RATE && m->codec == AGORA_RTP_AUDIO_OPUS) {
        /* decoded from pushed packets: the packet itself leaves, once, with
         * the frame it starts on; the frames it covers are not re-encoded */
        if (f->encoded && f->encoded_offset == 0 && f->encoded->info.codec == AGORA_AUDIO_CODEC_OPUS) {
            send_encoded(m, f->encoded);
            m->passthrough_left = f->encoded->info.samples_per_channel - f->samples_per_channel;
            return;
        }
        if (m->passthrough_left >= f->samples_per_channel) {
            m->passthrough_left -= f->samples_per_channel;
            return;
        }
    }
    m->passthrough_left = 0;
    if (ensure_resampler(m, f->sample_rate, f->channels) != AGORA_OK)
        return;
    for (int off = 0; off < f->samples_per_channel;) {
        int n = f->samples_per_channel - off;
        if (n > RS_CHUNK)
            n = RS_CHUNK;
        int got = agora_resampler_process(m->rs, f->pcm + (size_t)off * (size_t)f->channels, n,
                                          m->acc + m->acc_len, ACC_CAP - m->acc_len);
        if (got > 0)
            m->acc_len += got;
        drain_acc(m);
        off += n;
    }
}

static void send_sr(agora_rtp_media *m, int64_t now)
{
    uint8_t buf[256];
    agora_rtcp_sender_info si;
    si.ntp = agora_ntp_now();
    si.rtp_ts = m->last_pkt_ts + (uint32_t)((now - m->last_pkt_us) * (m->rate / 1000) / 1000);
    si.packet_count = m->sr_packets;
    si.octet_count = m->sr_octets;
    int n = agora_rtcp_build_sr(buf, sizeof(buf), m->ssrc, &si, NULL, 0);
    if (n <= 0)
        return;
    const char *cname = m->conn->user_id[0] ? m->conn->user_id : "agora-rtc";
    int k = agora_rtcp_build_sdes_cname(buf + n, sizeof(buf) - (size_t)n, m->ssrc, cname, strlen(cname));
    if (k > 0)
        n += k;
    agora_rtp_sendto(m, buf, (size_t)n, &m->rtcp_dst, m->rtcp_len, 1);
}

/* The RTP timestamp of now on our audio clock (wall clock since the origin),
 * never behind the next packet's: what a round starting now would use. */
static uint32_t timestamp_now(agora_rtp_media *m, int64_t now)
{
    if (!m->have_origin) {
        m->have_origin = 1;
        m->ts_origin = m->ts;
        m->t_origin_us = now;
    }
    uint32_t wall = m->ts_origin + (uint32_t)((now - m->t_origin_us) * (m->rate / 1000) / 1000);
    return (int32_t)(wall - m->ts) > 0 ? wall : m->ts;
}

uint32_t agora_rtp_timestamp_now(agora_rtp_media *m, int64_t now)
{
    return timestamp_now(m, now);
}

/* Nothing sent for KEEPALIVE_US: a padding-only packet on the audio stream
 * (its own sequence number; the marker of the next round is kept), so the
 * receivers behind Janus know we are alive while we say nothing. */
static void send_keepalive(agora_rtp_media *m, int64_t now)
{
    uint8_t pkt[AGORA_RTP_KEEPALIVE_SIZE];
    uint32_t ts = timestamp_now(m, now);
    int n = agora_rtp_build_keepalive(pkt, sizeof(pkt), m->pt, m->seq, ts, m->ssrc);
    if (n <= 0)
        return;
    m->seq++;
    m->last_pkt_us = now;
    if (agora_rtp_sendto(m, pkt, (size_t)n, &m->dst, m->dst_len, 0) == 0) {
        m->st.keepalives_sent++;
        m->sr_packets++;
        m->last_pkt_ts = ts;
    }
}

/* Leaving: SR (or RR before anything was sent) + BYE for our streams, then
 * nothing more is sent until a new target. */
static void send_bye(agora_rtp_media *m)
{
    if (!m || m->fd < 0 || !m->have_target)
        return;
    if (m->have_rtcp) {
        uint8_t buf[128];
        int64_t now = now_us();
        int n;
        if (m->sr_packets > 0) {
            agora_rtcp_sender_info si;
            si.ntp = agora_ntp_now();
            si.rtp_ts = m->last_pkt_ts + (uint32_t)((now - m->last_pkt_us) * (m->rate / 1000) / 1000);
            si.packet_count = m->sr_packets;
            si.octet_count = m->sr_octets;
            n = agora_rtcp_build_sr(buf, sizeof(buf), m->ssrc, &si, NULL, 0);
        } else {
            n = agora_rtcp_build_rr(buf, sizeof(buf), m->ssrc, NULL, 0);
        }
        uint32_t ssrcs[2] = {m->ssrc, m->vsend.ssrc};
        int k = n > 0 ? agora_rtcp_build_bye(buf + n, sizeof(buf) - (size_t)n, ssrcs,
                                             m->vsend.on ? 2 : 1)
                      : -1;
        if (k > 0 && agora_rtp_sendto(m, buf, (size_t)(n + k), &m->rtcp_dst, m->rtcp_len, 1) == 0)
            m->st.byes_sent++;
    }
    m->in_round = 0; /* the round's tail is not sent after the goodbye */
    m->acc_len = 0;
    m->have_target = 0;
}

/* ------------------------------------------------------------ receive side */

static void handle_rtcp(agora_rtp_media *m, uint8_t *buf, size_t len, int64_t now)
{
    if (len < 8) {
        m->st.malformed++;
        return;
    }
    rtp_remote *r = find_remote(m, be32(buf + 4));
    if (r && r->srtp) {
        int n = agora_srtp_unprotect_rtcp(r->srtp, buf, len);
        if (n < 0) {
            m->st.srtp_errors++;
            return;
        }
        len = (size_t)n;
    }
    agora_rtcp_iter it;
    agora_rtcp_packet p;
    int rc, good = 0;
    agora_rtcp_iter_init(&it, buf, len);
    while ((rc = agora_rtcp_next(&it, &p)) == 1) {
        good++;
        if (r && p.ssrc == r->ssrc)
            r->last_heard_us = now;
        if (p.type == AGORA_RTCP_BYE) {
            for (int i = 0; i < p.count; i++) {
                rtp_remote *gone = find_remote(m, agora_rtcp_bye_ssrc(&p, i));
                /* under SRTCP only the authenticated sender may say goodbye */
                if (gone && !gone->bye && (!gone->srtp || gone == r)) {
                    gone->bye = 1;
                    m->st.byes_received++;
                }
            }
        }
        if (p.type == AGORA_RTCP_SR && r && p.ssrc == r->ssrc)
            agora_rtp_rx_on_sr(&r->rx, p.sender.ntp, (uint64_t)now);
        if (p.type == AGORA_RTCP_PSFB)
            agora_rtp_video_on_feedback(m->conn->svc, m->conn, &p);
        if (p.type != AGORA_RTCP_SR && p.type != AGORA_RTCP_RR)
            continue;
        for (int i = 0; i < p.count; i++) {
            agora_rtcp_report_block b;
            if (agora_rtcp_get_report(&p, i, &b) == AGORA_OK && m->have_target && b.ssrc == m->ssrc) {
                m->st.rr_received++;
                m->st.remote_fraction_lost = b.fraction_lost;
                m->st.remote_cumulative_lost = b.cumulative_lost;
                m->st.remote_jitter = b.jitter;
            }
        }
    }
    if (good && rc == 0)
        m->st.rtcp_received++;
    else
        m->st.malformed++;
}

/* The remote added with AGORA_RTP_SSRC_ANY that may still take ssrc, -1 when none. */
static int latch_candidate(agora_rtp_media *m, uint32_t ssrc)
{
    int i = rtp_streams_find_ssrc(&m->remotes, AGORA_RTP_SSRC_ANY);
    if (i < 0 || !remote_at(m, i)->latch || agora_rtp_video_has_ssrc(m, ssrc))
        return -1;
    return i;
}

/* The remote added with AGORA_RTP_SSRC_ANY and not latched yet takes ssrc
 * (its table entry moves: take and add again, within the table's room). */
static rtp_remote *latch_remote(agora_rtp_media *m, uint32_t ssrc)
{
    int i = latch_candidate(m, ssrc);
    if (i < 0)
        return NULL;
    rtp_remote *r = rtp_streams_take(&m->remotes, i);
    r->ssrc = ssrc;
    r->latch = 0;
    r->rx.ssrc = ssrc;
    if (rtp_streams_add(&m->remotes, ssrc, r->uid, r) != AGORA_OK) { /* cannot happen: room kept */
        fold_remote_stats(m, r);
        remote_free(r);
        return NULL;
    }
    return r;
}

typedef struct jb_piece_target {
    rtp_remote *r;
    int64_t now_ms;
} jb_piece_target;

/* agora_reframe_emit: a 20 ms G.711 piece into the remote's jitter buffer,
 * numbered by the reframer (its own sequence space, from timestamps) */
static void insert_piece(void *arg, uint16_t seq, uint32_t timestamp, int marker,
                         const uint8_t *piece, size_t len)
{
    const jb_piece_target *t = arg;
    agora_jb_insert(t->r->jb, t->r->ssrc, seq, timestamp, marker, piece, len, t->now_ms);
}

/* Other packets of the stream (comfort noise, telephone-event, keepalives)
 * consume their sequence number; G.711 / G.722 pieces are numbered from timestamps,
 * where such packets take no place. */
static void skip_packet(rtp_remote *r, uint16_t seq)
{
    if (r->codec == AGORA_RTP_AUDIO_OPUS)
        agora_jb_skip(r->jb, r->ssrc, seq);
}

/* A keepalive, or comfort noise (RFC 3389: a sender with silence suppression
 * sends it when its talk spurt ends, and now and then in the pause): the sender
 * has nothing to say (after a talk spurt: its pause marker). G.711 / G.722: the pause takes the piece number after the newest
 * (rtp_reframe.h), so the buffer ends the spurt there without concealment and
 * the silence up to the next spurt is not counted lost. */
static void pause_packet(rtp_remote *r, uint16_t seq, int64_t now)
{
    if (r->codec == AGORA_RTP_AUDIO_OPUS) {
        skip_packet(r, seq);
    } else if (r->reframe.started) {
        jb_piece_target t = {r, now / 1000};
        agora_jb_skip(r->jb, r->ssrc, agora_reframe_pause(&r->reframe, insert_piece, &t));
    }
}

static void handle_datagram(agora_rtp_media *m, uint8_t *buf, size_t len, int64_t now)
{
    int kind = agora_rtp_is_rtcp(buf, len);
    if (kind < 0) {
        m->st.malformed++;
        return;
    }
    if (kind == 1) {
        handle_rtcp(m, buf, len, now);
        return;
    }
    if (len < AGORA_RTP_HEADER_SIZE) {
        m->st.malformed++;
        return;
    }
    /* demultiplex on the clear-text SSRC before any decryption */
    uint32_t ssrc = be32(buf + 8);
    rtp_remote *r = find_remote(m, ssrc);
    int decrypted = 0;
    if (!r && ssrc != AGORA_RTP_SSRC_ANY) {
        /* a stream added with AGORA_RTP_SSRC_ANY takes the first SSRC heard; with SRTP the
         * first whose packet authenticates, so that a forged packet cannot take it */
        int i = latch_candidate(m, ssrc);
        if (i >= 0 && remote_at(m, i)->srtp) {
            int n = agora_srtp_unprotect(remote_at(m, i)->srtp, buf, len);
            if (n < 0) {
                m->st.srtp_errors++;
                return;
            }
            len = (size_t)n;
            decrypted = 1;
        }
        r = latch_remote(m, ssrc);
    }
    if (!r) {
        if (len == AGORA_RTP_HEADER_SIZE && ssrc == 0) {
            m->st.latch_received++; /* Janus latching a forward's RTCP feedback socket */
            return;
        }
        if (!agora_rtp_video_on_rtp(m->conn->svc, m->conn, buf, len, ssrc, now))
            m->st.unknown_ssrc++;
        return;
    }
    if (r->srtp && !decrypted) {
        int n = agora_srtp_unprotect(r->srtp, buf, len);
        if (n < 0) {
            m->st.srtp_errors++;
            return;
        }
        len = (size_t)n;
    }
    agora_rtp_packet p;
    if (agora_rtp_parse(buf, len, &p) != AGORA_OK || (p.payload_len == 0 && !p.padding)) {
        m->st.malformed++;
        return;
    }
    m->st.rtp_received++;
    r->packets++;
    r->last_heard_us = now;
    agora_rtp_rx_update(&r->rx, p.seq, p.timestamp, (uint64_t)now);
    if (p.payload_len > 0 && p.payload_type != r->pt) {
        /* another payload of the session (comfort noise, telephone-event): its
         * sequence number is consumed, never played as audio */
        if (r->dtmf_pt >= 0 && p.payload_type == r->dtmf_pt)
            agora_rtp_dtmf_on_packet(m, r, &p);
        m->st.other_payload++;
        if (p.payload_type == RTP_PT_COMFORT_NOISE)
            pause_packet(r, p.seq, now); /* the sender's pause, as a keepalive */
        else
            skip_packet(r, p.seq);
        return;
    }
    if (p.payload_len == 0) { /* a keepalive: the sender is there, with nothing to say */
        m->st.keepalives_received++;
        r->keepalives++;
        pause_packet(r, p.seq, now);
        return;
    }
    /* the buffer copies the payload; late, duplicate, oversize are counted there */
    if (r->codec == AGORA_RTP_AUDIO_OPUS) {
        agora_jb_insert(r->jb, r->ssrc, p.seq, p.timestamp, p.marker, p.payload, p.payload_len,
                        now / 1000);
    } else { /* G.711 / G.722 of any packet length: 20 ms pieces (rtp_reframe.h) */
        jb_piece_target t = {r, now / 1000};
        agora_reframe_push(&r->reframe, p.seq, p.timestamp, p.marker, p.payload, p.payload_len,
                           insert_piece, &t);
    }
}

static void rtp_on_readable(agora_service *svc, agora_io_watch *w)
{
    (void)svc;
    agora_rtp_media *m = (agora_rtp_media *)((char *)w - offsetof(agora_rtp_media, watch));
    for (int i = 0; i < MAX_RECV_PER_WAKE && m->fd >= 0; i++) {
        ssize_t n = recv(m->fd, m->rxbuf, sizeof(m->rxbuf), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* EAGAIN: drained; ICMP errors (ECONNREFUSED) are not ours to act on */
        }
        m->st.packets_received++;
        m->st.bytes_received += (uint64_t)n;
        if ((size_t)n > sizeof(m->rxbuf)) {
            m->st.malformed++; /* truncated */
            continue;
        }
        handle_datagram(m, (uint8_t *)m->rxbuf, (size_t)n, now_us());
    }
}

/* The decoder rate for an observer at `rate`: libopus decodes straight to
 * 8/12/16/24 kHz (no 48 kHz -> observer resampler after it), else 48 kHz;
 * G.711 is 8 kHz (the receive path resamples it to the observer's rate). */
static int decode_rate_for(const rtp_remote *r, int rate)
{
    if (r->codec != AGORA_RTP_AUDIO_OPUS)
        return r->pcm_rate;
    return agora_opus_decoder_rate_supported(rate) ? rate : OPUS_RATE;
}

/* Decode the remote's pulls of this tick into r->frame at `rate` (see
 * audio_playout.h; G.711 / G.722 at their own rate, r->pcm_rate). Runs on the
 * thread that owns the remote's decoder now (see rtp_remote). Returns the
 * samples written, <= 0 when nothing came out. */
static int decode_pending(rtp_remote *r, int rate)
{
    int n = agora_audio_playout_decode(&r->po, &r->dec, r->g722, rate, r->frame->pcm);
    r->frame->sample_rate = rate;
    r->frame->samples_per_channel = n > 0 ? n : 0;
    return n;
}

/* Receive-job hook: decode at the rate this listener hears the remote in. */
static int decode_for_job(const agora_rx_job *job, void *arg)
{
    return decode_pending(arg, decode_rate_for(arg, job->rate));
}

/* Gap frames after a talk spurt, as on the local network (sent_frame.h): for
 * up to 3 s a sender that stopped is a tick of silence per tick to a VAD in
 * speech, so an utterance cut off by the end of the stream gets its stop. */
#define GAP_PULLS (AGORA_GAP_FRAMES * 10 / AGORA_PLAYOUT_TICK_MS)

static int gap_for_job(const agora_rx_job *job, void *arg)
{
    rtp_remote *r = arg;
    const int rate = decode_rate_for(r, job->rate), samples = rate * AGORA_PLAYOUT_TICK_MS / 1000;
    memset(r->frame->pcm, 0, sizeof(int16_t) * (size_t)samples);
    r->frame->sample_rate = rate;
    r->frame->samples_per_channel = samples;
    return samples;
}

/* Hand r->frame (stamped with the tick's time t, one clock read per tick for
 * all streams) to c's receive path; the job fills its samples first with
 * prepare (the decode, or a gap's silence). 0 when nobody receives the audio frames. */
static int deliver_pull(agora_service *svc, agora_rtc_conn *c, agora_rtp_media *m, rtp_remote *r,
                        int (*prepare)(const agora_rx_job *, void *), int64_t t)
{
    r->frame->render_time_ms = t / 1000;
    r->frame->send_time_us = t;
    return agora_io_deliver_audio(svc, c, r->uid, m->channel_id, r->frame, NULL, prepare, r);
}

static void play_gap(agora_service *svc, agora_rtc_conn *c, agora_rtp_media *m, rtp_remote *r,
                     int64_t now)
{
    r->gap_pulls_left--;
    r->frame->gap = 1;
    deliver_pull(svc, c, m, r, gap_for_job, now);
}

/* Stamp r->frame with the RTP timestamp of its first sample, before this
 * tick's decode: the audio held from earlier ticks (po->pending_us, which the
 * pull does not change) plays first, then this tick's pulls. Both come from
 * the wire timestamps of the packets pulled, unwrapped, never from a count of
 * ticks: time-stretching moves a frame's stamp by at most the audio held (an
 * accelerate or expand changes how much audio a packet makes, not where the
 * next packet is on the sender's clock), and nothing adds up over the stream.
 * A tick that only plays held audio would otherwise advance the stamp by its
 * length and the next packet's step once more: that drift ran the stamps
 * seconds ahead of the audio while accelerate requests were refused on speech
 * (ACCELERATE_QUIET, two packets pulled, 20 ms held every other tick).
 * An expand lengthens a packet's audio by up to a pitch period (15 ms), more
 * than a 10 ms tick: the tick after it would go back by up to 5 ms; the stamp
 * stays where it was instead (that audio repeats what was heard). */
static void stamp_frame(rtp_remote *r, int restarted)
{
    const agora_audio_playout *po = &r->po;
    const int64_t held = (int64_t)po->pending_us * r->rate / 1000000;
    int64_t first_ext; /* the wire timestamp of the first sample not held */
    if (po->npulls > 0) {
        const agora_playout_pull *a = &po->pulls[0], *z = &po->pulls[po->npulls - 1];
        if (!r->have_ts || restarted) /* its timestamps start afresh */
            first_ext = a->timestamp;
        else
            first_ext = r->last_ext + (int32_t)(a->timestamp - r->last_ts);
        r->last_ext = first_ext + (int32_t)(z->timestamp - a->timestamp);
        r->last_ts = z->timestamp;
        r->last_dur = (int64_t)z->samples48 * r->rate / OPUS_RATE;
    } else {
        first_ext = r->last_ext + r->last_dur; /* only held audio: it ends there */
    }
    int64_t ext = first_ext - held;
    if (!r->have_ts || (restarted && po->npulls > 0)) {
        r->have_ts = 1;
        r->first_ext_ts = ext;
    } else if (ext < r->frame_ext) {
        ext = r->frame_ext;
    }
    r->frame_ext = ext;
    r->frame->rtp_timestamp = (uint32_t)ext;
    r->frame->presentation_ms = ext > r->first_ext_ts ? (ext - r->first_ext_ts) / (r->rate / 1000) : 0;
}

/* One playout tick (10 ms) of one remote stream at play_ms (now: the tick's
 * clock reading, us). The pulled packet is kept in the remote; the Opus decode
 * runs in the receive job (agora_rx_pool_run, after every remote was pulled),
 * so the pool's threads share it. */
static void play_remote(agora_service *svc, agora_rtc_conn *c, agora_rtp_media *m, rtp_remote *r,
                        int64_t play_ms, int64_t now)
{
    agora_audio_playout *po = &r->po;
    const int heard = c->hub_listening && agora_io_subscribed(c, r->uid);
    const int played = agora_audio_playout_pull(po, r->jb, play_ms);
    const int restarted = po->reset; /* a new stream: its timestamps start afresh */
    if (!played) {
        /* the sender paused; nothing is produced but gap frames */
        if (r->gap_pulls_left > 0 && heard)
            play_gap(svc, c, m, r, now);
        return;
    }
    r->gap_pulls_left = GAP_PULLS;
    r->frame->gap = 0;
    if (!heard) {
        r->need_reset = 1; /* nobody hears it: skip the decoding */
        for (int i = 0; i < po->npulls; i++)
            r->not_decoded += po->pulls[i].kind == AGORA_JB_PACKET;
        agora_audio_playout_clear(po);
        return;
    }
    if (r->need_reset && po->npulls > 0) {
        po->reset = 1;
        r->need_reset = 0;
    }
    for (int i = 0; i < po->npulls; i++)
        if (po->pulls[i].kind == AGORA_JB_PACKET)
            agora_encoded_audio_deliver_payload(svc, c, r->uid, po->pulls[i].data, po->pulls[i].len,
                                                now / 1000);
    stamp_frame(r, restarted);
    /* sample_rate and samples_per_channel: set by the decode */
    /* a job that hears this remote decodes first */
    if (!deliver_pull(svc, c, m, r, decode_for_job, now)) {
        /* nobody receives the audio frames: decode anyway (decoder state, counters) */
        decode_pending(r, r->dec ? agora_opus_decoder_rate(r->dec) : decode_rate_for(r, OPUS_RATE));
    }
}

static void rtp_on_timer(agora_service *svc, uint64_t expirations)
{
    rtp_service *rs = rtp_service_of(svc, 0);
    if (!rs)
        return; /* no socket was ever opened: the timer is not ours */
    if (expirations > MAX_CATCH_UP_PULLS) { /* stalled: skip ahead on the grid */
        rs->play_deadline_ns += (int64_t)(expirations - MAX_CATCH_UP_PULLS) * PLAYOUT_NS;
        expirations = MAX_CATCH_UP_PULLS;
    }
    for (uint64_t k = 0; k < expirations; k++) {
        int64_t play_ms = rs->play_deadline_ns / 1000000;
        rs->play_deadline_ns += PLAYOUT_NS;
        int64_t now = now_us();
        const int housekeeping = rs->ticks++ % HOUSEKEEPING_TICKS == 0;
        for (int i = 0; i < rs->count; i++) {
            agora_rtc_conn *c = rs->conns[i];
            agora_rtp_media *m = agora_rtp_of(c);
            if (m->in_round && now - m->last_frame_us >= ROUND_GAP_US)
                end_round(m); /* interrupted clock, paused connection: send the tail */
            for (int j = 0; j < m->remotes.count; j++)
                play_remote(svc, c, m, remote_at(m, j), play_ms, now);
            if (!housekeeping)
                continue;
            /* while joined: not when the control plane lost Janus (the target may be stale) */
            if (m->have_target && !m->in_round && atomic_load(&c->on_air) &&
                now - m->last_pkt_us >= KEEPALIVE_US)
                send_keepalive(m, now);
            if (m->dtmf.active || m->dtmf.count || m->dtmf.gap)
                agora_rtp_dtmf_tick(m, now);
            if (m->have_target && m->have_rtcp && m->sr_packets > 0 && now >= m->next_sr_us) {
                send_sr(m, now);
                m->next_sr_us = now + SR_INTERVAL_US;
            }
            agora_rtp_video_tick(svc, c, now);
        }
        /* every remote's decoded frame (r->frame, reused next pull) is heard now */
        agora_io_run_receive_jobs(svc);
    }
}

/* ------------------------------------------------------------ work items */

static agora_rtp_media *media_new(agora_rtc_conn *c)
{
    agora_rtp_media *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->conn = c;
    m->fd = -1;
    m->codec = AGORA_RTP_AUDIO_OPUS;
    m->pt = AGORA_OPUS_PAYLOAD_TYPE;
    m->rate = m->pcm_rate = OPUS_RATE;
    m->pkt_samples = PKT_SAMPLES;
    m->dtmf_pt = -1;
    m->enc = agora_opus_encoder_create(1, OPUS_BITRATE, OPUS_LOSS_PERC);
    m->enc_complexity = -1; /* the connection's is set before the first packet */
    if (!m->enc) {
        free(m);
        return NULL;
    }
    m->lookahead = agora_opus_encoder_lookahead(m->enc);
    if (m->lookahead < 0)
        m->lookahead = 0;
    return m;
}

static void rtp_free(agora_rtp_media *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->remotes.count; i++)
        remote_free(remote_at(m, i));
    rtp_streams_free(&m->remotes);
    agora_rtp_video_remove_all(m);
    rtp_streams_free(&m->vremotes);
    agora_rtp_data_free(m);
    agora_resampler_destroy(m->rs);
    agora_opus_encoder_destroy(m->enc);
    agora_g722_encoder_destroy(m->g722);
    agora_srtp_session_destroy(m->srtp_tx);
    if (m->fd >= 0)
        close(m->fd);
    free(m);
}

static int do_open(agora_service *svc, agora_rtc_conn *c, const char *bind_ip, uint16_t *port)
{
    pthread_mutex_lock(&c->mu);
    int destroyed = c->destroyed;
    pthread_mutex_unlock(&c->mu);
    if (destroyed)
        return AGORA_ERR_INVALID_STATE;
    if (!c->net && !(c->net = media_new(c)))
        return AGORA_ERR_NO_MEMORY;
    agora_rtp_media *m = agora_rtp_of(c);
    if (m->fd >= 0) {
        *port = m->port;
        return AGORA_OK;
    }
    struct sockaddr_storage addr;
    socklen_t alen;
    if (parse_addr(bind_ip, 0, AF_UNSPEC, &addr, &alen) != AGORA_OK)
        return AGORA_ERR_INVALID_ARGUMENT;
    int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return AGORA_ERR_FAILED;
    /* One socket receives every forwarded stream: hundreds of streams deliver a burst
     * each 20 ms while this thread decodes, more than the default ~200 KB buffer holds.
     * Best effort: FORCE needs CAP_NET_ADMIN, plain SO_RCVBUF is capped by rmem_max. */
    int rcvbuf = SOCKET_RCVBUF;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    struct sockaddr_storage bound;
    socklen_t blen = sizeof(bound);
    m->watch.on_readable = rtp_on_readable;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &m->watch};
    if (bind(fd, (struct sockaddr *)&addr, alen) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &blen) != 0 ||
        epoll_ctl(svc->io_epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        return AGORA_ERR_FAILED;
    }
    if (list_add(svc, c) != AGORA_OK) {
        epoll_ctl(svc->io_epfd, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        return AGORA_ERR_NO_MEMORY;
    }
    m->fd = fd;
    m->family = addr.ss_family;
    m->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    /* a fresh session: counters, sequence and timestamp origin */
    memset(&m->st, 0, sizeof(m->st));
    m->seq = (uint16_t)random_u32();
    m->ts = random_u32();
    m->have_origin = 0;
    m->in_round = 0;
    m->acc_len = 0;
    m->have_target = m->have_rtcp = 0;
    m->sr_packets = m->sr_octets = 0;
    pthread_mutex_lock(&c->mu);
    memcpy(m->channel_id, c->channel_id, sizeof(m->channel_id));
    pthread_mutex_unlock(&c->mu);
    *port = m->port;
    return AGORA_OK;
}

static void rtp_close(agora_service *svc, agora_rtc_conn *c)
{
    agora_rtp_media *m = agora_rtp_of(c);
    if (!m || m->fd < 0)
        return;
    epoll_ctl(svc->io_epfd, EPOLL_CTL_DEL, m->fd, NULL);
    close(m->fd);
    m->fd = -1;
    m->port = 0;
    while (m->remotes.count > 0)
        drop_remote(m, m->remotes.count - 1);
    agora_rtp_video_remove_all(m);
    agora_rtp_data_close(svc, m);
    m->vsend.on = 0;
    atomic_store(&c->video.rtp_codec, 0);
    m->in_round = 0; /* the round's tail has nowhere to go */
    m->acc_len = 0;
    agora_resampler_reset(m->rs);
    m->have_target = m->have_rtcp = 0;
    agora_srtp_session_destroy(m->srtp_tx);
    m->srtp_tx = NULL;
    list_remove(svc, c); /* last: may drop the last reference when called at exit */
}

static int do_set_target(agora_rtp_media *m, const char *ip, uint16_t port, uint16_t rtcp_port,
                         uint32_t ssrc)
{
    if (!m || m->fd < 0)
        return AGORA_ERR_NOT_READY;
    struct sockaddr_storage dst, rdst;
    socklen_t dlen, rlen = 0;
    if (parse_addr(ip, port, m->family, &dst, &dlen) != AGORA_OK)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (rtcp_port && parse_addr(ip, rtcp_port, m->family, &rdst, &rlen) != AGORA_OK)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (!m->have_target || ssrc != m->ssrc) {
        m->sr_packets = m->sr_octets = 0; /* a new stream as far as RTCP goes */
        m->last_pkt_ts = m->ts;
        m->last_pkt_us = now_us();
    }
    m->dst = dst;
    m->dst_len = dlen;
    m->have_rtcp = rtcp_port != 0;
    if (m->have_rtcp) {
        m->rtcp_dst = rdst;
        m->rtcp_len = rlen;
    }
    m->ssrc = ssrc;
    m->have_target = 1;
    m->marker = 1; /* the receiver starts a new talk spurt */
    m->next_sr_us = now_us() + SR_INTERVAL_US / 5; /* a first SR soon after audio starts */
    return AGORA_OK;
}

/* The audio codec on the wire from now on: what is still in the send
 * accumulator leaves in the old codec first; remotes added later take it. */
static int do_set_audio_codec(agora_rtp_media *m, int codec, int pt, int dtmf_pt, int packet_ms)
{
    if (!m)
        return AGORA_ERR_NOT_READY;
    agora_g722_encoder *g722 = NULL; /* a new stream starts from the initial state */
    if (codec == AGORA_RTP_AUDIO_G722 && !(g722 = agora_g722_encoder_create()))
        return AGORA_ERR_NO_MEMORY;
    end_round(m);
    agora_resampler_destroy(m->rs); /* its output rate changes */
    m->rs = NULL;
    agora_g722_encoder_destroy(m->g722);
    m->g722 = g722;
    m->codec = codec;
    m->pt = pt;
    m->rate = codec == AGORA_RTP_AUDIO_OPUS ? OPUS_RATE : 8000;
    m->pcm_rate = codec == AGORA_RTP_AUDIO_G722 ? AGORA_G722_SAMPLE_RATE : m->rate;
    m->pkt_samples = m->pcm_rate / 1000 * packet_ms;
    m->dtmf_pt = dtmf_pt;
    memset(&m->dtmf, 0, sizeof(m->dtmf));
    m->lookahead = codec == AGORA_RTP_AUDIO_OPUS ? agora_opus_encoder_lookahead(m->enc) : 0;
    if (m->lookahead < 0)
        m->lookahead = 0;
    m->have_origin = 0; /* a new clock rate: the timestamp origin restarts */
    m->marker = 1;
    return AGORA_OK;
}

/* Our packets from now on SRTP-protected with suite and key (suite 0: plain again). */
static int do_set_send_srtp(agora_rtp_media *m, int suite, const uint8_t *key)
{
    if (!m || m->fd < 0)
        return AGORA_ERR_NOT_READY;
    agora_srtp_session *s = NULL;
    if (suite) {
        pthread_once(&srtp_once, srtp_init_once);
        s = srtp_ready ? agora_srtp_sender_create(suite, key, AGORA_SRTP_MASTER_LEN) : NULL;
        if (!s)
            return AGORA_ERR_FAILED;
    }
    agora_srtp_session_destroy(m->srtp_tx);
    m->srtp_tx = s;
    return AGORA_OK;
}

static int do_add_remote(agora_service *svc, agora_rtc_conn *c, uint32_t ssrc, const char *uid,
                         int suite, const uint8_t *key)
{
    agora_rtp_media *m = agora_rtp_of(c);
    if (!m || m->fd < 0)
        return AGORA_ERR_NOT_READY;
    if (find_remote(m, ssrc) || find_remote_uid(m, uid) || agora_rtp_video_has_ssrc(m, ssrc))
        return AGORA_ERR_INVALID_STATE;
    rtp_remote *r = calloc(1, sizeof(*r));
    if (!r)
        return AGORA_ERR_NO_MEMORY;
    r->ssrc = ssrc;
    r->latch = ssrc == AGORA_RTP_SSRC_ANY;
    r->codec = m->codec;
    r->pt = m->pt;
    r->rate = m->rate;
    r->pcm_rate = m->pcm_rate;
    r->dtmf_pt = m->dtmf_pt;
    r->last_heard_us = now_us(); /* the silence of a new stream counts from here */
    agora_copy_id(r->uid, uid);
    agora_jb_config jc;
    agora_jb_config_default(&jc);
    jc.clock_rate = r->rate;
    jc.time_stretch = 1; /* the playout time-stretches (audio_playout.h) */
    jc.min_delay_ms = AGORA_PLAYOUT_TICK_MS; /* the floor: one packet, 10 ms for 10 ms packets */
    jc.fec = r->codec == AGORA_RTP_AUDIO_OPUS; /* in-band FEC in the next packet */
    r->jb = agora_jb_create(&jc);
    r->dec = r->codec == AGORA_RTP_AUDIO_OPUS ? agora_opus_decoder_create(1) : NULL;
    r->g722 = r->codec == AGORA_RTP_AUDIO_G722 ? agora_g722_decoder_create() : NULL;
    agora_reframe_reset(&r->reframe, r->codec == AGORA_RTP_AUDIO_PCMA   ? 0xD5
                                     : r->codec == AGORA_RTP_AUDIO_G722 ? agora_g722_silence_byte()
                                                                        : 0xFF);
    r->frame = agora_sent_frame_new(r->pcm_rate, 1, r->pcm_rate * AGORA_PLAYOUT_TICK_MS / 1000);
    agora_audio_playout_init(&r->po, r->codec, r->rate);
    agora_rtp_rx_init(&r->rx, ssrc, r->rate);
    if (suite) {
        pthread_once(&srtp_once, srtp_init_once);
        if (srtp_ready)
            r->srtp = agora_srtp_session_create(suite, key, AGORA_SRTP_MASTER_LEN);
    }
    int have_dec = r->codec == AGORA_RTP_AUDIO_OPUS ? r->dec != NULL
                 : r->codec == AGORA_RTP_AUDIO_G722 ? r->g722 != NULL : 1;
    if (!r->jb || !have_dec || !r->frame || (suite && !r->srtp)) {
        int rc = suite && !r->srtp && r->jb && have_dec && r->frame ? AGORA_ERR_FAILED : AGORA_ERR_NO_MEMORY;
        remote_free(r);
        return rc;
    }
    if (rtp_streams_add(&m->remotes, ssrc, r->uid, r) != AGORA_OK) {
        remote_free(r);
        return AGORA_ERR_NO_MEMORY;
    }
    if (agora_io_subscribed(c, uid))
        agora_io_emit(svc, c, EV_TRACK_SUBSCRIBED, uid, 0, 0, 0);
    return AGORA_OK;
}

static int do_remove_remote(agora_service *svc, agora_rtc_conn *c, uint32_t ssrc)
{
    agora_rtp_media *m = agora_rtp_of(c);
    if (m && agora_rtp_video_has_ssrc(m, ssrc))
        return agora_rtp_video_remove_remote(m, ssrc);
    for (int i = 0; m && i < m->remotes.count; i++) {
        if (remote_at(m, i)->ssrc != ssrc)
            continue;
        char uid[AGORA_MAX_ID_LEN + 1];
        memcpy(uid, remote_at(m, i)->uid, sizeof(uid));
        agora_io_end_utterance(svc, c, uid, m->channel_id); /* its VAD gets its stop */
        drop_remote(m, i);
        if (agora_io_subscribed(c, uid))
            agora_io_emit(svc, c, EV_TRACK_STATE, uid, REMOTE_AUDIO_STATE_STOPPED,
                          REMOTE_AUDIO_REASON_REMOTE_OFFLINE, 0);
        return AGORA_OK;
    }
    return AGORA_ERR_INVALID_ARGUMENT;
}

static void fill_stats(const agora_rtp_media *m, agora_rtp_transport_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!m)
        return;
    *out = m->st;
    out->local_port = m->fd >= 0 ? m->port : 0;
    out->remotes = m->remotes.count;
    out->data_remotes = agora_rtp_data_remote_count(m);
    agora_rtp_video_fill_stats(m, out);
    for (int i = 0; i < m->remotes.count; i++) {
        const rtp_remote *r = remote_at(m, i);
        add_remote_stats(out, r, 0);
        agora_jb_stats js;
        agora_jb_get_stats(r->jb, &js);
        if (js.current_delay_ms > out->current_delay_ms)
            out->current_delay_ms = js.current_delay_ms;
        if (js.target_delay_ms > out->target_delay_ms)
            out->target_delay_ms = js.target_delay_ms;
    }
}

static int rtp_remote_count(const agora_rtc_conn *c)
{
    return agora_rtp_of(c) ? agora_rtp_of(c)->remotes.count : 0;
}

static int rtp_remote_audio_stats(const agora_rtc_conn *c, agora_remote_audio_stats *out, int n, int max)
{
    const agora_rtp_media *m = agora_rtp_of(c);
    for (int i = 0; m && i < m->remotes.count; i++) {
        const rtp_remote *r = remote_at(m, i);
        agora_remote_audio_stats *s = NULL;
        for (int k = 0; k < n && !s; k++)
            if (strcmp(out[k].user_id, r->uid) == 0)
                s = &out[k];
        if (!s) {
            if (n >= max)
                continue;
            s = &out[n++];
            memset(s, 0, sizeof(*s));
            memcpy(s->user_id, r->uid, sizeof(s->user_id));
        }
        agora_jb_stats js;
        agora_jb_get_stats(r->jb, &js);
        s->rtp = 1;
        s->packets_lost = js.lost;
        s->frames_concealed = r->po.plc + js.silent_underruns; /* with silence for late packets */
        s->jitter_buffer_delay_ms = js.current_delay_ms;
        s->frames_received = r->po.decoded; /* packets decoded */
        s->packets_received = r->packets;
        s->keepalives = r->keepalives;
        s->packets_played = js.played;
        s->packets_late = js.late;
        s->packets_duplicate = js.duplicates;
        s->packets_dropped = js.dropped + js.flushed;
        s->packets_invalid = js.invalid;
        s->packets_buffered = (uint64_t)js.buffered;
        s->packets_stale = js.stale;
        s->frames_fec = r->po.fec;
        s->jitter_buffer_target_ms = js.target_delay_ms;
        s->frames_stretched = js.stretched;
        s->packets_shrunk = js.shrunk;
        s->stretch_accelerations = r->po.accelerations;
        s->stretch_expansions = r->po.expansions;
        s->stretch_ms = (int64_t)(r->po.stretched_samples48 / (OPUS_RATE / 1000));
        s->jitter_buffer_delay_sum_ms = js.wait_ms_sum;
    }
    return n;
}

static int fill_activity(const agora_rtp_media *m, agora_rtp_remote_activity *out, int max)
{
    if (!m || m->fd < 0)
        return 0;
    int64_t now = now_us();
    for (int i = 0; i < m->remotes.count && i < max; i++) {
        const rtp_remote *r = remote_at(m, i);
        out[i].ssrc = r->ssrc;
        out[i].bye = r->bye;
        out[i].idle_ms = (now - r->last_heard_us) / 1000;
    }
    return m->remotes.count;
}

/* Media off: no sending, no remote streams, no receive paths. */
static void media_down(agora_service *svc, agora_rtc_conn *c)
{
    atomic_store(&c->on_air, 0);
    rtp_close(svc, c);
    agora_rx_table_clear(&c->rx);
    c->joined = 0;
}

static void rtp_disconnect(agora_service *svc, agora_rtc_conn *c)
{
    media_down(svc, c);
    pthread_mutex_lock(&c->mu);
    int state = c->state;
    if (state == AGORA_CONN_FAILED)
        c->state = AGORA_CONN_DISCONNECTED; /* quietly: the failure was reported */
    pthread_mutex_unlock(&c->mu);
    if (state != AGORA_CONN_DISCONNECTED && state != AGORA_CONN_FAILED)
        agora_io_emit_conn_state(svc, c, EV_DISCONNECTED, AGORA_CONN_DISCONNECTED, REASON_LEAVE_CHANNEL);
}

static int do_event(agora_service *svc, agora_rtc_conn *c, int event, const char *uid, int reason)
{
    pthread_mutex_lock(&c->mu);
    int state = c->state;
    pthread_mutex_unlock(&c->mu);
    int joined = state == AGORA_CONN_CONNECTED || state == AGORA_CONN_RECONNECTING;
    switch (event) {
    case AGORA_CONN_EVENT_CONNECTED:
        if (state != AGORA_CONN_CONNECTING)
            return AGORA_ERR_INVALID_STATE;
        if (agora_rtp_of(c)) {
            pthread_mutex_lock(&c->mu);
            memcpy(agora_rtp_of(c)->channel_id, c->channel_id, sizeof(agora_rtp_of(c)->channel_id));
            pthread_mutex_unlock(&c->mu);
        }
        c->joined = 1;
        agora_io_emit_conn_state(svc, c, EV_CONNECTED, AGORA_CONN_CONNECTED, reason);
        atomic_store(&c->on_air, 1); /* the media clock cuts frames from now on */
        if (c->net_publishing)
            agora_io_emit(svc, c, EV_PUBLISH_SUCCESS, NULL, 0, 0, 0);
        return AGORA_OK;
    case AGORA_CONN_EVENT_DISCONNECTED:
    case AGORA_CONN_EVENT_FAILURE:
        if (state != AGORA_CONN_CONNECTING && !joined)
            return AGORA_ERR_INVALID_STATE;
        media_down(svc, c);
        if (event == AGORA_CONN_EVENT_DISCONNECTED)
            agora_io_emit_conn_state(svc, c, EV_DISCONNECTED, AGORA_CONN_DISCONNECTED, reason);
        else
            agora_io_emit_conn_state(svc, c, EV_CONNECTION_FAILURE, AGORA_CONN_FAILED, reason);
        return AGORA_OK;
    case AGORA_CONN_EVENT_USER_JOINED:
    case AGORA_CONN_EVENT_USER_LEFT:
        if (!joined)
            return AGORA_ERR_INVALID_STATE;
        agora_io_emit(svc, c, event == AGORA_CONN_EVENT_USER_JOINED ? EV_USER_JOINED : EV_USER_LEFT,
                      uid, reason, 0, 0);
        return AGORA_OK;
    case AGORA_CONN_EVENT_LOST:
    case AGORA_CONN_EVENT_RECONNECTING:
        if (!joined)
            return AGORA_ERR_INVALID_STATE;
        atomic_store(&c->on_air, 0); /* pushed audio waits in the send queue */
        agora_io_emit_conn_state(svc, c, event == AGORA_CONN_EVENT_LOST ? EV_CONNECTION_LOST : EV_RECONNECTING,
                                 AGORA_CONN_RECONNECTING, reason);
        return AGORA_OK;
    case AGORA_CONN_EVENT_RECONNECTED:
        if (state != AGORA_CONN_RECONNECTING)
            return AGORA_ERR_INVALID_STATE;
        agora_io_emit_conn_state(svc, c, EV_RECONNECTED, AGORA_CONN_CONNECTED, reason);
        atomic_store(&c->on_air, 1);
        return AGORA_OK;
    default:
        return AGORA_ERR_INVALID_ARGUMENT;
    }
}

static void rtp_process(agora_service *svc, io_item *it)
{
    agora_rtc_conn *c = it->conn;
    int rc = AGORA_OK;
    switch (it->kind) {
    case IO_AUDIO:
        if (it->frame->gap) { /* the engine's first tick without audio: the round is over */
            if (agora_rtp_of(c))
                end_round(agora_rtp_of(c));
        } else if (c->net_publishing && agora_rtp_of(c) && agora_rtp_of(c)->fd >= 0 && agora_rtp_of(c)->have_target)
            send_frame(agora_rtp_of(c), it->frame);
        break;
    case IO_RTP_OPEN:
        rc = do_open(svc, c, (const char *)it->data, it->out);
        break;
    case IO_RTP_TARGET:
        rc = do_set_target(agora_rtp_of(c), (const char *)it->data, (uint16_t)it->arg, (uint16_t)it->arg2, it->u32);
        break;
    case IO_RTP_ADD:
        rc = do_add_remote(svc, c, it->u32, it->uid, it->arg2, it->length ? it->data : NULL);
        break;
    case IO_RTP_REMOVE:
        rc = do_remove_remote(svc, c, it->u32);
        break;
    case IO_RTP_AUDIO_CODEC:
        rc = do_set_audio_codec(agora_rtp_of(c), it->arg, it->arg2, (int)(it->u32 & 0xFF) - 1,
                                (int)(it->u32 >> 8));
        break;
    case IO_RTP_SEND_SRTP:
        rc = do_set_send_srtp(agora_rtp_of(c), it->arg, it->length ? it->data : NULL);
        break;
    case IO_RTP_DTMF:
        if (!agora_rtp_of(c) || agora_rtp_of(c)->fd < 0 || !agora_rtp_of(c)->have_target)
            rc = AGORA_ERR_NOT_READY;
        else if (agora_rtp_of(c)->dtmf_pt < 0)
            rc = AGORA_ERR_NOT_SUPPORTED;
        else
            rc = agora_rtp_dtmf_queue(agora_rtp_of(c), it->arg, it->arg2);
        break;
    case IO_RTP_VIDEO_PUBLISH:
        rc = agora_rtp_of(c) && agora_rtp_of(c)->fd >= 0 ? agora_rtp_video_set_publish(c, it->u32, it->arg, it->arg2)
                                       : AGORA_ERR_NOT_READY;
        break;
    case IO_RTP_VIDEO_ADD:
        if (agora_rtp_of(c) && agora_rtp_of(c)->fd >= 0 && (find_remote(agora_rtp_of(c), it->u32) != NULL))
            rc = AGORA_ERR_INVALID_STATE;
        else
            rc = agora_rtp_video_add_remote(svc, c, it->u32, it->uid, it->arg, it->arg2,
                                            it->length ? it->data : NULL);
        break;
    case IO_RTP_FEEDBACK:
        rc = agora_rtp_of(c) ? agora_rtp_video_set_feedback(agora_rtp_of(c), it->u32, (const char *)it->data,
                                                   (uint16_t)it->arg)
                    : AGORA_ERR_NOT_READY;
        break;
    case IO_RTP_EVENT:
        rc = do_event(svc, c, it->arg, it->uid, it->arg2);
        break;
    case IO_RTP_STATS:
        fill_stats(agora_rtp_of(c), it->out);
        break;
    case IO_RTP_CLOSE:
        rtp_close(svc, c);
        break;
    case IO_RTP_END_ROUND:
        rtp_end_round(svc, c);
        break;
    case IO_RTP_BYE:
        send_bye(agora_rtp_of(c));
        break;
    case IO_RTP_ACTIVITY:
        rc = fill_activity(agora_rtp_of(c), it->out, it->arg);
        break;
    case IO_RTP_DATA_PUBLISH:
        rc = agora_rtp_data_set_publish(agora_rtp_of(c), it->u32);
        break;
    case IO_RTP_DATA_ADD:
        rc = agora_rtp_data_add_remote(svc, c, it->uid, it->out);
        break;
    case IO_RTP_DATA_REMOVE:
        rc = agora_rtp_data_remove_remote(svc, agora_rtp_of(c), it->uid);
        break;
    default:
        break;
    }
    if (it->result)
        *it->result = rc;
}

/* ------------------------------------------------------------ public API */

/* AGORA_OK when c is a live RTP connection. */
static int check_conn(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (c->transport != &agora_rtp_transport)
        return AGORA_ERR_NOT_SUPPORTED;
    pthread_mutex_lock(&c->mu);
    int destroyed = c->destroyed;
    pthread_mutex_unlock(&c->mu);
    return destroyed ? AGORA_ERR_INVALID_STATE : AGORA_OK;
}

/* What an entry point below hands the I/O thread: the fields of its work item
 * (text, an address, and key go into the item's data; out receives the answer). */
typedef struct rtp_request {
    const char *text;
    const char *uid;
    uint32_t ssrc;
    int arg, arg2;
    void *out;
    const uint8_t *key;        /* AGORA_RTP_SRTP_KEY_LEN bytes when set */
} rtp_request;

/* The shape of every entry point: c must be a live RTP connection, then its
 * arguments valid (AGORA_ERR_INVALID_ARGUMENT otherwise); the request runs on
 * the I/O thread and its handler's code is returned. */
static int rtp_call(agora_rtc_conn *c, int kind, int valid, const rtp_request *rq)
{
    int rc = check_conn(c);
    if (rc != AGORA_OK)
        return rc;
    size_t text_len = rq->text ? strnlen(rq->text, MAX_IP_LEN + 1) : 0;
    if (!valid || text_len > MAX_IP_LEN)
        return AGORA_ERR_INVALID_ARGUMENT;
    size_t length = rq->key ? AGORA_RTP_SRTP_KEY_LEN : rq->text ? text_len + 1 : 0;
    io_item *it = agora_io_item_new(kind, c, length);
    if (!it)
        return AGORA_ERR_NO_MEMORY;
    if (rq->key)
        memcpy(it->data, rq->key, AGORA_RTP_SRTP_KEY_LEN);
    else if (rq->text)
        memcpy(it->data, rq->text, text_len); /* calloc'd: NUL terminated */
    if (rq->uid)
        agora_copy_id(it->uid, rq->uid);
    it->u32 = rq->ssrc;
    it->arg = rq->arg;
    it->arg2 = rq->arg2;
    it->out = rq->out;
    return agora_io_call(c->svc, it);
}

int agora_rtc_conn_rtp_open(agora_rtc_conn *c, const char *bind_ip, uint16_t *local_port)
{
    uint16_t port = 0;
    int rc = rtp_call(c, IO_RTP_OPEN, 1, &(rtp_request){.text = bind_ip ? bind_ip : "127.0.0.1",
                                                        .out = &port});
    if (rc == AGORA_OK && local_port)
        *local_port = port;
    return rc;
}

int agora_rtc_conn_rtp_set_publish_target(agora_rtc_conn *c, const char *ip, uint16_t port,
                                          uint16_t rtcp_port, uint32_t ssrc)
{
    return rtp_call(c, IO_RTP_TARGET, ip && port != 0,
                    &(rtp_request){.text = ip, .arg = port, .arg2 = rtcp_port, .ssrc = ssrc});
}

/* The add of a remote stream (audio or video) with its SRTP key: codec in
 * arg (0 for audio), srtp_suite in arg2, the key in data. */
static int post_remote_add(agora_rtc_conn *c, int kind, uint32_t ssrc, const char *user_id,
                           int codec, int srtp_suite, const uint8_t *srtp_key_salt)
{
    int valid = valid_id(user_id) &&
                (srtp_suite == 0 || srtp_suite == AGORA_SRTP_AES128_CM_SHA1_32 ||
                 srtp_suite == AGORA_SRTP_AES128_CM_SHA1_80) &&
                (!srtp_suite || srtp_key_salt) &&
                (kind != IO_RTP_VIDEO_ADD || codec == AGORA_VIDEO_RTP_VP8 || codec == AGORA_VIDEO_RTP_H264);
    if (valid && srtp_suite && check_conn(c) == AGORA_OK) {
        pthread_once(&srtp_once, srtp_init_once);
        if (!srtp_ready)
            return AGORA_ERR_FAILED;
    }
    return rtp_call(c, kind, valid, &(rtp_request){.uid = user_id, .ssrc = ssrc, .arg = codec,
                                                   .arg2 = srtp_suite,
                                                   .key = srtp_suite ? srtp_key_salt : NULL});
}

int agora_rtc_conn_rtp_set_send_srtp(agora_rtc_conn *c, int srtp_suite, const uint8_t *srtp_key_salt)
{
    int valid = srtp_suite == 0 || ((srtp_suite == AGORA_SRTP_AES128_CM_SHA1_32 ||
                                     srtp_suite == AGORA_SRTP_AES128_CM_SHA1_80) && srtp_key_salt);
    return rtp_call(c, IO_RTP_SEND_SRTP, valid,
                    &(rtp_request){.arg = srtp_suite, .key = srtp_suite ? srtp_key_salt : NULL});
}

int agora_rtc_conn_rtp_add_remote(agora_rtc_conn *c, uint32_t ssrc, const char *user_id,
                                  int srtp_suite, const uint8_t *srtp_key_salt)
{
    return post_remote_add(c, IO_RTP_ADD, ssrc, user_id, 0, srtp_suite, srtp_key_salt);
}

int agora_rtc_conn_rtp_set_audio_codec(agora_rtc_conn *c, int codec, int payload_type,
                                      int dtmf_payload_type, int packet_ms)
{
    if (packet_ms == 0)
        packet_ms = 20;
    int packet_ok = codec == AGORA_RTP_AUDIO_OPUS ? packet_ms == 20
                                                  : packet_ms >= 10 && packet_ms <= 60;
    int valid = (codec == AGORA_RTP_AUDIO_OPUS || codec == AGORA_RTP_AUDIO_PCMU ||
                 codec == AGORA_RTP_AUDIO_PCMA || codec == AGORA_RTP_AUDIO_G722) &&
                payload_type >= 0 && payload_type <= 127 && dtmf_payload_type >= -1 && dtmf_payload_type <= 127 &&
                dtmf_payload_type != payload_type && packet_ok;
    return rtp_call(c, IO_RTP_AUDIO_CODEC, valid,
                    &(rtp_request){.arg = codec, .arg2 = payload_type,
                                   /* the item's third number: the DTMF type + 1 (0..128)
                                    * in the low byte, the packet length (ms) above it */
                                   .ssrc = (uint32_t)(dtmf_payload_type + 1) |
                                           ((uint32_t)packet_ms << 8)});
}

int agora_rtc_conn_rtp_send_dtmf(agora_rtc_conn *c, int event, int duration_ms)
{
    int valid = event >= 0 && event <= 15 && duration_ms >= 40 && duration_ms <= 5000;
    return rtp_call(c, IO_RTP_DTMF, valid, &(rtp_request){.arg = event, .arg2 = duration_ms});
}

int agora_rtc_conn_rtp_set_video_publish(agora_rtc_conn *c, uint32_t ssrc, int codec,
                                         int payload_type)
{
    int valid = (codec == AGORA_VIDEO_RTP_VP8 || codec == AGORA_VIDEO_RTP_H264) &&
                payload_type >= 0 && payload_type <= 127;
    return rtp_call(c, IO_RTP_VIDEO_PUBLISH, valid,
                    &(rtp_request){.ssrc = ssrc, .arg = codec, .arg2 = payload_type});
}

int agora_rtc_conn_rtp_add_video_remote(agora_rtc_conn *c, uint32_t ssrc, const char *user_id,
                                        int codec, int srtp_suite, const uint8_t *srtp_key_salt)
{
    return post_remote_add(c, IO_RTP_VIDEO_ADD, ssrc, user_id, codec, srtp_suite, srtp_key_salt);
}

int agora_rtc_conn_rtp_set_remote_feedback(agora_rtc_conn *c, uint32_t ssrc, const char *ip,
                                           uint16_t rtcp_port)
{
    return rtp_call(c, IO_RTP_FEEDBACK, ip && rtcp_port != 0,
                    &(rtp_request){.text = ip, .ssrc = ssrc, .arg = rtcp_port});
}

int agora_rtc_conn_rtp_remove_remote(agora_rtc_conn *c, uint32_t ssrc)
{
    return rtp_call(c, IO_RTP_REMOVE, 1, &(rtp_request){.ssrc = ssrc});
}

int agora_rtc_conn_post_event(agora_rtc_conn *c, int event, const char *user_id, int reason)
{
    int with_user = event == AGORA_CONN_EVENT_USER_JOINED || event == AGORA_CONN_EVENT_USER_LEFT;
    int valid = event >= AGORA_CONN_EVENT_CONNECTED && event <= AGORA_CONN_EVENT_RECONNECTED &&
                (!with_user || valid_id(user_id));
    return rtp_call(c, IO_RTP_EVENT, valid, &(rtp_request){.uid = with_user ? user_id : NULL,
                                                           .arg = event, .arg2 = reason});
}

int agora_rtc_conn_rtp_get_stats(agora_rtc_conn *c, agora_rtp_transport_stats *out)
{
    return rtp_call(c, IO_RTP_STATS, out != NULL, &(rtp_request){.out = out});
}

int agora_rtc_conn_rtp_send_bye(agora_rtc_conn *c)
{
    return rtp_call(c, IO_RTP_BYE, 1, &(rtp_request){0});
}

int agora_rtc_conn_rtp_remote_activity(agora_rtc_conn *c, agora_rtp_remote_activity *out, int max)
{
    return rtp_call(c, IO_RTP_ACTIVITY, max >= 0 && (max == 0 || out),
                    &(rtp_request){.out = out, .arg = max});
}

int agora_rtc_conn_rtp_set_data_publish(agora_rtc_conn *c, uint32_t ssrc)
{
    return rtp_call(c, IO_RTP_DATA_PUBLISH, 1, &(rtp_request){.ssrc = ssrc});
}

int agora_rtc_conn_rtp_add_data_remote(agora_rtc_conn *c, const char *user_id, uint16_t *local_port)
{
    uint16_t port = 0;
    int rc = rtp_call(c, IO_RTP_DATA_ADD, valid_id(user_id),
                      &(rtp_request){.uid = user_id, .out = &port});
    if (rc == AGORA_OK && local_port)
        *local_port = port;
    return rc;
}

int agora_rtc_conn_rtp_remove_data_remote(agora_rtc_conn *c, const char *user_id)
{
    return rtp_call(c, IO_RTP_DATA_REMOVE, valid_id(user_id), &(rtp_request){.uid = user_id});
}

/* ------------------------------------------------------------ the transport table */

static void post_item(agora_rtc_conn *c, int kind, int wait)
{
    io_item *it = agora_io_item_new(kind, c, 0);
    if (it)
        agora_io_post(c->svc, it, wait);
}

static void rtp_interrupted(agora_rtc_conn *c)
{
    post_item(c, IO_RTP_END_ROUND, 0); /* the encoder's tail leaves at once */
}

static void rtp_destroying(agora_rtc_conn *c)
{
    /* an rtp_open racing with destroy may have reopened the socket before
     * destroyed was set; rtp_open refuses once it is, so this close is the
     * last word */
    post_item(c, IO_RTP_CLOSE, 1);
}

static void rtp_freed(agora_rtc_conn *c)
{
    rtp_free(agora_rtp_of(c)); /* closed by destroy: no thread references it */
}

static void rtp_publish_changed(agora_service *svc, agora_rtc_conn *c, int publish)
{
    if (!publish)
        rtp_end_round(svc, c); /* the round's tail leaves now */
    /* publish success is reported on CONNECTED when not joined yet */
    if (!publish || c->joined)
        agora_io_emit(svc, c, publish ? EV_PUBLISH_SUCCESS : EV_UNPUBLISHED, NULL, 0, 0, 0);
}

static int rtp_remote_stats(const agora_rtc_conn *c, agora_remote_audio_stats *out, int n, int max,
                            int *users)
{
    *users = c->joined ? rtp_remote_count(c) + 1 : 0;
    return rtp_remote_audio_stats(c, out, n, max);
}

static void rtp_loop_exit(agora_service *svc)
{
    rtp_service *rs = rtp_service_of(svc, 0);
    if (!rs)
        return;
    while (rs->count > 0) /* normally none: destroy closed them */
        rtp_close(svc, rs->conns[rs->count - 1]);
    free(rs->conns);
    free(rs);
    svc->net[AGORA_TRANSPORT_RTP] = NULL;
}

const agora_transport_ops agora_rtp_transport = {
    .name = "rtp",
    .kind = AGORA_TRANSPORT_RTP,
    /* no start-of-round burst: a far jitter buffer (ours, a browser's NetEQ)
     * reads early packets as jitter and raises its delay by the burst for
     * seconds; it primes itself */
    .round_prefill = 0,
    .joined_by_control_plane = 1,
    .carries_data = 1,              /* the VideoRoom's data channels (rtp_data.c) */
    .disconnect_when_idle = 1,      /* the socket may be open while disconnected (rtp_open first) */
    .interrupted = rtp_interrupted,
    .destroying = rtp_destroying,
    .freed = rtp_freed,
    .data_ok = agora_rtp_data_ok,
    .send_data = agora_rtp_data_send,
    .send_audio = rtp_process,
    .leave = rtp_disconnect,
    .publish_changed = rtp_publish_changed,
    .has_publisher = rtp_has_remote, /* a forwarded stream is a published track */
    .subscribe_all = rtp_subscribe_all,
    .process = rtp_process,
    .remote_audio_stats = rtp_remote_stats,
    .carries_raw_video = 0,
    .video_encode_codec = agora_rtp_video_encode_codec,
    .video_codec_ok = agora_rtp_video_codec_ok,
    .video_frame_ok = agora_rtp_video_frame_ok,
    .video_send = agora_rtp_video_send_frame,
    .video_request_keyframe = agora_rtp_video_request_keyframe,
    .on_timer = rtp_on_timer,
    .on_loop_exit = rtp_loop_exit,
};
