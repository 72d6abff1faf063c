/* The media state of an RTP-transport connection, shared by the files of
 * the RTP media plane: rtp_transport.c (socket, audio, connection events)
 * and rtp_video_plane.c (encoded video). Everything here is owned by the service's
 * I/O thread and never locked (see rtp_transport.c). */
#ifndef AGORA_RTC_RTP_MEDIA_H
#define AGORA_RTC_RTP_MEDIA_H

#include <sys/socket.h>
#include "engine/engine.h"
#include "net/rtp/jitter_buffer.h"
#include "net/rtp/rtp_reframe.h"
#include "net/rtp/audio_playout.h"
#include "audio/codec/opus_codec.h"
#include "audio/codec/g722_codec.h"
#include "audio/dsp/resampler.h"
#include "net/rtp/rtp.h"
#include "audio/send/sent_frame.h"
#include "net/rtp/srtp_session.h"
#include "net/rtp/stream_table.h"
#include "agora_rtc/video_rtp.h"

#define ACC_CAP 4096                          /* samples waiting to be encoded (at m->pcm_rate) */
#define RECV_BUF 2048                         /* larger datagrams are malformed here */
#define VIDEO_REORDER_SLOTS 64                /* packets a video stream holds back to reorder */

typedef struct rtp_remote {
    uint32_t ssrc;
    char uid[AGORA_MAX_ID_LEN + 1];
    agora_jb *jb;
    agora_reframe reframe;            /* G.711 / G.722 streams: packets -> 20 ms pieces for jb */
    agora_opus_decoder *dec;          /* Opus streams only */
    agora_g722_decoder *g722;         /* G.722 streams only */
    int codec, pt, rate;              /* AGORA_RTP_AUDIO_*, its payload type, clock rate */
    int pcm_rate;                     /* its audio's rate: rate, but 16 kHz for G.722 */
    int latch;                        /* added with AGORA_RTP_SSRC_ANY: takes the first SSRC heard */
    int dtmf_pt;                      /* its telephone-event payload type, -1: none */
    int dtmf_reported;                /* a key was reported: dtmf_ts is the last one's */
    uint32_t dtmf_ts;
    agora_srtp_session *srtp;         /* NULL: plain RTP */
    agora_rtp_rx_stats rx;            /* RFC 3550 receiver statistics */
    agora_sent_frame *frame;          /* reused one-tick PCM buffer handed to the receive path */
    int need_reset;                   /* decoder state is stale (frames were skipped) */
    int gap_pulls_left;               /* pulls that still make gap frames (play_gap) */
    /* What a playout tick pulled, decoded later by the receive job that
     * hears it (on a pool thread, or the I/O thread): written by the I/O
     * thread before the pool runs, read by the one thread that runs this
     * remote's job; the decoder, the playout's audio and its counters belong
     * to that job during a run and to the I/O thread outside runs (fork-join). */
    agora_audio_playout po;
    /* The timeline of the frames heard (stamp_frame): the last packet pulled,
     * its wire timestamp unwrapped (ext) and its duration (RTP clock) */
    int have_ts;
    uint32_t last_ts;
    int64_t last_ext, last_dur, first_ext_ts; /* first_ext_ts: presentation_ms 0 */
    int64_t frame_ext;                /* the last frame's stamp (they never go back) */
    uint64_t packets, keepalives;     /* RTP of this stream accepted (keepalives included) */
    uint64_t not_decoded;             /* packets played while nobody listened */
    int64_t last_heard_us;            /* last RTP / RTCP of it (or when it was added) */
    int bye;                          /* an RTCP BYE named it */
} rtp_remote;

/* Our published video stream (agora_rtc_conn_rtp_set_video_publish). */
typedef struct rtp_video_send {
    int on;                           /* a video stream was announced to Janus */
    uint32_t ssrc;                    /* 1000 + 10 * mindex */
    int codec, pt;                    /* AGORA_VIDEO_RTP_*, payload type */
    uint16_t seq;
    uint16_t picture_id;              /* VP8 PictureID, one per frame */
    int have_origin;                  /* ts_origin <-> origin_ms set by the first frame */
    uint32_t ts_origin, last_ts;
    int64_t origin_ms;
    uint32_t sr_packets, sr_octets;
    int64_t last_pkt_us, next_sr_us;
    int sent_sr;                      /* an SR was sent (Janus latched our RTCP address) */
} rtp_video_send;

/* Keys we send as telephone-events (rtp_dtmf.c). */
#define AGORA_RTP_DTMF_QUEUE 32
typedef struct rtp_dtmf_send {
    int events[AGORA_RTP_DTMF_QUEUE], durations[AGORA_RTP_DTMF_QUEUE]; /* waiting keys */
    int head, count;
    int active;                       /* a key is being sent */
    int event;
    uint32_t ts, elapsed, total;      /* its timestamp, duration so far and in all (samples) */
    int gap;                          /* ticks to wait before the next key */
} rtp_dtmf_send;

/* Our published data stream (rtp_data.c). */
typedef struct rtp_data_send {
    int on;                           /* a data stream was announced to Janus */
    uint32_t ssrc;                    /* 1000 + 10 * mindex */
    uint16_t seq;
} rtp_data_send;

typedef struct rtp_data_remote rtp_data_remote; /* rtp_data.c */
typedef struct agora_rtp_media agora_rtp_media;

struct agora_rtp_media {
    agora_io_watch watch;             /* the socket in the I/O loop's epoll */
    agora_rtc_conn *conn;             /* back pointer, no reference */
    int fd;                           /* -1 when closed */
    int family;
    uint16_t port;
    char channel_id[AGORA_MAX_ID_LEN + 1];

    /* publish target */
    int have_target, have_rtcp;
    struct sockaddr_storage dst, rtcp_dst;
    socklen_t dst_len, rtcp_len;
    uint32_t ssrc;
    agora_srtp_session *srtp_tx;      /* NULL: we send plain RTP / RTCP (a SIP call's SDES
                                       * keys: agora_rtc_conn_rtp_set_send_srtp) */

    /* audio codec on the wire (agora_rtc_conn_rtp_set_audio_codec): sent, and
     * taken by the remotes added after it was set */
    int codec, pt;                    /* AGORA_RTP_AUDIO_*, payload type */
    int rate;                         /* its RTP clock */
    int pcm_rate;                     /* its encoder's rate: rate, but 16 kHz for G.722 */
    int pkt_samples;                  /* samples (at pcm_rate) per packet (20 ms; G.711 /
                                       * G.722: the phone's ptime) */
    int dtmf_pt;                      /* telephone-event payload type, -1: none */
    rtp_dtmf_send dtmf;               /* keys being sent (rtp_dtmf.c) */

    /* send side */
    agora_opus_encoder *enc;
    int enc_complexity;               /* set on enc; follows conn->opus_complexity */
    agora_g722_encoder *g722;         /* while the codec is G.722 */
    int lookahead;                    /* encoder delay, samples at rate (0 for G.711) */
    agora_resampler *rs;              /* sender format -> rate, mono */
    int rs_rate, rs_ch;
    int16_t acc[ACC_CAP];
    int acc_len;
    int in_round;
    int marker;                       /* next packet starts a round */
    int64_t last_frame_us;            /* cut time of the last frame of the round */
    uint16_t seq;
    uint32_t ts;                      /* timestamp of the next packet */
    int have_origin;
    uint32_t ts_origin;
    int64_t t_origin_us;
    uint32_t sr_packets, sr_octets;
    uint32_t last_pkt_ts;
    int64_t last_pkt_us, next_sr_us;
    int passthrough_left;             /* 48 kHz samples of the last pushed packet still to come as frames */

    /* receive side */
    rtp_stream_table remotes;         /* rtp_remote: remote users' audio */

    rtp_video_send vsend;             /* our published video (rtp_video_plane.c) */
    rtp_stream_table vremotes;        /* rtp_video_remote: remote users' forwarded video
                                       * (rtp_video_plane.c) */

    rtp_data_send dsend;              /* our published data stream (rtp_data.c) */
    rtp_data_remote **dremotes;       /* remote users' forwarded data, a socket each */
    int ndremotes, dcap;

    agora_rtp_transport_stats st;     /* transport counters + totals of removed remotes */
    uint32_t rxbuf[RECV_BUF / 4];     /* 4-byte aligned for libsrtp */
};


/* A connection's media plane: the RTP transport's state of it (c->net). */
static inline agora_rtp_media *agora_rtp_of(const agora_rtc_conn *c)
{
    return c->net;
}

/* ---- rtp_transport.c, for rtp_video_plane.c ---- */
/* Send one datagram from the connection's socket; counts packets_sent /
 * bytes_sent (rtcp 0) or rtcp_sent (rtcp 1), or send_errors. 0 when sent. */
int agora_rtp_sendto(agora_rtp_media *m, const uint8_t *buf, size_t len,
                     const struct sockaddr_storage *to, socklen_t tolen, int rtcp);
/* Numeric address -> sockaddr of the socket's family. AGORA_OK or INVALID_ARGUMENT. */
int agora_rtp_parse_addr(const char *ip, uint16_t port, int family, struct sockaddr_storage *out,
                         socklen_t *len);
int64_t agora_rtp_now_us(void);

/* ---- rtp_video_plane.c ---- */
/* An RTP packet whose SSRC is one of the video remotes: 1 when handled
 * (buf is decrypted in place), 0 when the SSRC is not a video remote. */
/* rtp_video_plane.c: the RTP transport's video hooks (transport.h): send one pushed
 * encoded frame on c's video stream (I/O thread); a PLI for uid's forwarded
 * video (AGORA_ERR_* when none); the codec announced to Janus only; H.264 as
 * Annex B (NAL units behind start codes), as the packetizer needs it. */
void agora_rtp_video_send_frame(agora_service *svc, agora_rtc_conn *c, agora_video_buf *b);
int agora_rtp_video_request_keyframe(agora_service *svc, agora_rtc_conn *c, const char *uid);
int agora_rtp_video_codec_ok(const agora_rtc_conn *c, int codec);
/* transport hook video_encode_codec: raw frames are encoded to our video stream's codec */
int agora_rtp_video_encode_codec(const agora_rtc_conn *c);
int agora_rtp_video_frame_ok(const agora_rtc_conn *c, const uint8_t *data, size_t length, int codec);
int agora_rtp_video_on_rtp(agora_service *svc, agora_rtc_conn *c, uint8_t *buf, size_t len,
                           uint32_t ssrc, int64_t now_us);
/* A PSFB (PLI/FIR) RTCP packet: a keyframe request for our video stream. */
void agora_rtp_video_on_feedback(agora_service *svc, agora_rtc_conn *c, const agora_rtcp_packet *p);
/* Playout timer tick: gaps held too long in the reorder buffers, SR of our video. */
void agora_rtp_video_tick(agora_service *svc, agora_rtc_conn *c, int64_t now_us);
/* The video remote with this SSRC, and its lifetime (I/O thread). */
int agora_rtp_video_has_ssrc(const agora_rtp_media *m, uint32_t ssrc);
int agora_rtp_video_add_remote(agora_service *svc, agora_rtc_conn *c, uint32_t ssrc, const char *uid,
                               int codec, int srtp_suite, const uint8_t *key);
int agora_rtp_video_remove_remote(agora_rtp_media *m, uint32_t ssrc);
void agora_rtp_video_remove_all(agora_rtp_media *m);
int agora_rtp_video_set_feedback(agora_rtp_media *m, uint32_t ssrc, const char *ip, uint16_t port);
int agora_rtp_video_set_publish(agora_rtc_conn *c, uint32_t ssrc, int codec, int pt);
void agora_rtp_video_fill_stats(const agora_rtp_media *m, agora_rtp_transport_stats *out);

/* ---- rtp_transport.c, for rtp_dtmf.c ---- */
/* Send a packet on our audio stream: its SSRC, the next sequence number, in the SR counts. */
void agora_rtp_send_on_audio_stream(agora_rtp_media *m, int pt, int marker, uint32_t ts,
                                    const uint8_t *payload, size_t n);
/* The timestamp of now on our audio clock (what a round starting now would use). */
uint32_t agora_rtp_timestamp_now(agora_rtp_media *m, int64_t now_us);

/* ---- rtp_dtmf.c: telephone-events (RFC 4733) ---- */
void agora_rtp_dtmf_on_packet(agora_rtp_media *m, rtp_remote *r, const agora_rtp_packet *p);
int agora_rtp_dtmf_queue(agora_rtp_media *m, int event, int duration_ms);
void agora_rtp_dtmf_tick(agora_rtp_media *m, int64_t now_us);

/* ---- rtp_data.c: stream messages and audio metadata (I/O thread, but data_ok) ---- */
/* transport.h data_ok (caller thread): AGORA_OK, AGORA_ERR_INVALID_ARGUMENT (empty, or a
 * stream message behind the metadata tag) or AGORA_ERR_NOT_SUPPORTED (no data stream). */
int agora_rtp_data_ok(const agora_rtc_conn *c, int kind, const uint8_t *data, size_t length);
int agora_rtp_data_set_publish(agora_rtp_media *m, uint32_t ssrc);
void agora_rtp_data_send(agora_service *svc, io_item *it);     /* IO_MESSAGE, IO_METADATA */
int agora_rtp_data_add_remote(agora_service *svc, agora_rtc_conn *c, const char *uid, uint16_t *port);
int agora_rtp_data_remove_remote(agora_service *svc, agora_rtp_media *m, const char *uid);
void agora_rtp_data_close(agora_service *svc, agora_rtp_media *m); /* every data socket */
void agora_rtp_data_free(agora_rtp_media *m);
int agora_rtp_data_remote_count(const agora_rtp_media *m);

#endif
