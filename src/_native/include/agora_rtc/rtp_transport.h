/* The `rtp` network transport of a connection: plain RTP/Opus over UDP to a
 * Janus VideoRoom (JANUS.md, media plane). A connection created with
 * agora_rtc_conn_config.transport = AGORA_TRANSPORT_RTP keeps the whole
 * connection API (publish, push, interrupt, observers, VAD); what the local
 * hub decides by itself on the `local` transport - when the connection is
 * joined, who is in the channel, where the audio goes and whose audio
 * arrives - is decided by a control plane (the Python Janus client) that
 * calls the functions below.
 *
 * Call order for the control plane
 * --------------------------------
 *   1. agora_rtc_conn_rtp_open          our UDP socket (its port goes into
 *                                       every rtp_forward request)
 *   2. agora_rtc_conn_connect           state CONNECTING, nothing else
 *   3. (Janus: add_remote_publisher) -> agora_rtc_conn_rtp_set_publish_target
 *   4. agora_rtc_conn_post_event(CONNECTED)   on_connected; the media clock
 *                                       starts sending if the user published
 *   5. per remote user: post_event(USER_JOINED), (Janus: rtp_forward to our
 *      port with a fresh SSRC) -> agora_rtc_conn_rtp_add_remote; when the user
 *      goes: agora_rtc_conn_rtp_remove_remote, post_event(USER_LEFT)
 *   6. agora_rtc_conn_disconnect (user) closes the media synchronously; the
 *      control plane then tears the Janus side down.
 * Every function here is synchronous: it is carried out by the service's I/O
 * thread (which owns the sockets and every per-stream state, so none of it
 * is locked) and returns once that thread has done it. They may be called
 * from any thread, including observer callbacks; never while holding a lock
 * an observer might take.
 *
 * Media
 * -----
 * Send: the 10 ms frames the media clock cuts (in real time: the service's
 * prefill burst is not used on this transport, a far jitter buffer would
 * take it for jitter) are resampled to 48 kHz mono,
 * grouped into 20 ms, Opus-encoded (in-band FEC) and sent as RTP (PT 111,
 * the target's SSRC) from the connection's socket. The first packet of a
 * round of audio carries the marker bit and a timestamp that follows the
 * wall clock; a round's tail is zero-padded (with the codec's look-ahead) so
 * nothing pushed is lost. An RTCP SR goes to rtcp_port about every 5 s.
 * Receive: every datagram on the socket is bounds-checked; RTP is
 * demultiplexed by SSRC (unknown SSRCs are counted and dropped), optionally
 * SRTP-decrypted, and fed to that remote's jitter buffer. A 10 ms playout
 * timer pulls every jitter buffer (when the audio held does not cover the tick), decodes (FEC or PLC on loss) and feeds
 * the remote user's receive path: resample to the observer format, 10 ms
 * frames, labels, VAD, delivery - exactly as on the local transport.
 * Video: VP8 / H.264 (raw pushes encoded first) with PLI keyframe requests, see
 * agora_rtc_conn_rtp_set_video_publish below (rtp_video_plane.c).
 * Data: stream messages and audio metadata on the VideoRoom's data channels,
 * see agora_rtc_conn_rtp_set_data_publish below (rtp_data.c). */
#ifndef AGORA_RTC_RTP_TRANSPORT_H
#define AGORA_RTC_RTP_TRANSPORT_H

#include <stdint.h>
#include "agora_rtc/connection.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AGORA_RTP_SRTP_KEY_LEN 30 /* SRTP master key (16) + salt (14) */

/* Connection events decided by the control plane (agora_rtc_conn_post_event). */
enum agora_conn_event {
    AGORA_CONN_EVENT_CONNECTED = 0,    /* from CONNECTING: state CONNECTED, media on air,
                                          on_connected(reason) (+ publish success) */
    AGORA_CONN_EVENT_DISCONNECTED = 1, /* from any joined/joining state: media closed
                                          (as agora_rtc_conn_disconnect), state
                                          DISCONNECTED, on_disconnected(reason) */
    AGORA_CONN_EVENT_FAILURE = 2,      /* media closed, state FAILED,
                                          on_connection_failure(reason) */
    AGORA_CONN_EVENT_USER_JOINED = 3,  /* on_user_joined(user_id); while CONNECTED/RECONNECTING */
    AGORA_CONN_EVENT_USER_LEFT = 4,    /* on_user_left(user_id, reason); while CONNECTED/RECONNECTING */
    AGORA_CONN_EVENT_LOST = 5,         /* from CONNECTED/RECONNECTING: state RECONNECTING,
                                          sending paused, on_connection_lost */
    AGORA_CONN_EVENT_RECONNECTING = 6, /* from CONNECTED/RECONNECTING: state RECONNECTING,
                                          sending paused, on_reconnecting(reason) */
    AGORA_CONN_EVENT_RECONNECTED = 7,  /* from RECONNECTING: state CONNECTED, sending
                                          resumes, on_reconnected(reason) */
};

/* Counters of a connection's RTP transport (since rtp_open; a remote's
 * counters stay in the totals after it is removed). */
typedef struct agora_rtp_transport_stats {
    uint16_t local_port;       /* bound UDP port, 0 when the socket is closed */
    int remotes;               /* remote streams now */
    /* send */
    uint64_t packets_sent;     /* RTP packets sent to the publish target */
    uint64_t bytes_sent;       /* their UDP payload bytes (RTP header included) */
    uint64_t rtcp_sent;        /* RTCP SR packets sent */
    uint64_t send_errors;      /* sendto failures (packet dropped) */
    uint64_t encode_errors;
    /* receive: every datagram */
    uint64_t packets_received; /* datagrams received on the socket */
    uint64_t bytes_received;
    uint64_t rtp_received;     /* RTP accepted for a known SSRC (after SRTP) */
    uint64_t rtcp_received;    /* well-formed RTCP compound packets */
    uint64_t unknown_ssrc;     /* RTP (or SRTCP) of no known remote: dropped */
    uint64_t malformed;        /* neither RTP nor RTCP, bad header, truncated: dropped */
    uint64_t srtp_errors;      /* SRTP authentication / replay failures: dropped */
    /* receive: jitter buffers and decoding (summed over remotes) */
    uint64_t lost;             /* sequence numbers given up */
    uint64_t late;             /* packets that arrived after their turn */
    uint64_t duplicates;       /* second copies */
    uint64_t jb_dropped;       /* packets discarded to keep the delay down (buffered ones, the
                                  stale ones of a delay spike), or buffered when their stream
                                  restarted or was removed */
    uint64_t frames_decoded;   /* 20 ms packets decoded */
    uint64_t fec_recoveries;   /* lost packets rebuilt from the next packet's FEC */
    uint64_t plc_frames;       /* concealment frames (loss without FEC, underruns; silence that
                                  stood in for a late packet after quiet audio included) */
    uint64_t decode_errors;    /* packets Opus refused (concealed instead) */
    int current_delay_ms;      /* jitter buffer delay, max over remotes (0 if none) */
    int target_delay_ms;       /* jitter buffer target delay, max over remotes */
    /* RTCP receiver reports about our published stream (last one received) */
    uint64_t rr_received;
    int remote_fraction_lost;  /* /256 */
    int remote_cumulative_lost;
    uint32_t remote_jitter;    /* RTP timestamp units (48 kHz) */
    /* encoded video (rtp_video_plane.c) */
    int video_remotes;               /* forwarded video streams now */
    uint64_t video_frames_sent;      /* pushed frames packetized and sent */
    uint64_t video_packets_sent;
    uint64_t video_refused;          /* pushed frames that are not a bitstream of the codec */
    uint64_t video_packets_received; /* RTP of video remotes */
    uint64_t video_frames_received;  /* complete frames depacketized */
    uint64_t video_frames_lost;      /* frames dropped: a packet missing, malformed, too large */
    uint64_t video_frames_skipped;   /* complete delta frames dropped while waiting for a keyframe */
    uint64_t video_late;             /* packets outside the reorder window (late, duplicate,
                                        or a jump not yet confirmed) */
    uint64_t plis_sent;              /* keyframe requests sent (PLI) */
    uint64_t plis_unsent;            /* wanted, but the stream has no feedback address */
    uint64_t plis_received;          /* PLI/FIR for our video stream */
    /* liveness (RFC 3550 6.3.5-style timeouts, 6.6 BYE) */
    uint64_t keepalives_sent;        /* padding-only RTP sent while we had nothing to say */
    uint64_t keepalives_received;    /* padding-only RTP of known remotes (in rtp_received too) */
    uint64_t byes_sent;              /* RTCP BYE sent on leaving */
    uint64_t byes_received;          /* SSRCs of known remotes named in an RTCP BYE */
    /* Accounting: every datagram and every audio packet lands in exactly one counter.
     *   packets_received = rtp_received + rtcp_received + unknown_ssrc + malformed
     *                      + srtp_errors + latch_received
     *   rtp_received     = video_packets_received + keepalives_received + packets_played
     *                      + late + duplicates + jb_dropped + jb_invalid + jb_buffered
     *   packets_played   = frames_decoded + decode_errors + packets_not_decoded
     * (lost, fec_recoveries and plc_frames count sequence numbers and frames that
     * never arrived, so they are on no side of these sums.) */
    uint64_t packets_played;         /* audio packets the jitter buffers played */
    uint64_t packets_not_decoded;    /* of those: played while nobody listened (not decoded) */
    uint64_t jb_invalid;             /* audio packets refused: oversize, an unconfirmed jump */
    uint64_t jb_stale;               /* of late + jb_dropped: delay-spike packets (a stall then
                                        a burst) discarded on arrival */
    uint64_t jb_spikes;              /* delay spikes seen */
    uint64_t jb_buffered;            /* audio packets in the jitter buffers now */
    uint64_t latch_received;         /* Janus's bare RTP headers latching an RTCP socket (ignored) */
    /* data (stream messages and audio metadata; not in the datagram counters above:
     * they travel on sockets of their own) */
    int data_remotes;                /* remote users whose data is forwarded to us now */
    uint64_t messages_sent;          /* stream messages sent on our data stream */
    uint64_t metadata_sent;          /* audio metadata sent on our data stream */
    uint64_t data_unsent;            /* not sent: no data stream announced, socket error */
    uint64_t messages_received;      /* stream messages delivered (or offered: nobody listening) */
    uint64_t metadata_received;
    uint64_t data_dropped;           /* received but over a limit (size, the sender's per-second
                                        limits, AGORA_MAX_AUDIO_METADATA) or empty: dropped */
    uint64_t other_payload;          /* RTP of a known remote in another payload type than its
                                        audio codec's (comfort noise, telephone-event): its
                                        sequence number consumed, not played (in rtp_received) */
    uint64_t dtmf_received;          /* keys reported (on_dtmf_received) */
    uint64_t dtmf_sent;              /* keys sent (agora_rtc_conn_rtp_send_dtmf) */
} agora_rtp_transport_stats;

/* Open the connection's UDP socket, bound to bind_ip (IPv4 or IPv6 literal,
 * e.g. "127.0.0.1"; NULL = "127.0.0.1") on an ephemeral port, registered
 * with the I/O thread. *local_port (may be NULL) receives the bound port.
 * The same socket sends our RTP and receives every forward. Already open:
 * AGORA_OK with the current port (bind_ip is ignored). Errors:
 * AGORA_ERR_NOT_SUPPORTED (not an RTP connection), AGORA_ERR_INVALID_ARGUMENT
 * (bad address), AGORA_ERR_INVALID_STATE (destroyed), AGORA_ERR_FAILED
 * (socket/bind failed). The socket stays open until disconnect (or a
 * DISCONNECTED/FAILURE event) or destroy: open it again for the next connect. */
int agora_rtc_conn_rtp_open(agora_rtc_conn *conn, const char *bind_ip, uint16_t *local_port);

/* Where our published audio goes: the ip/port/rtcp_port of the
 * add_remote_publisher answer, ssrc 1000 (+ 10 * mindex). rtcp_port 0 = no
 * RTCP. ip must be of the socket's family. May be called again (a new
 * target starts a new round: marker bit, fresh timestamp; a new SSRC restarts
 * the SR counters). AGORA_ERR_NOT_READY when the socket is not open. */
int agora_rtc_conn_rtp_set_publish_target(agora_rtc_conn *conn, const char *ip, uint16_t port,
                                          uint16_t rtcp_port, uint32_t ssrc);

/* The audio codec on the wire (SIP calls negotiate it; Janus rooms use Opus,
 * the default). */
enum agora_rtp_audio_codec {
    AGORA_RTP_AUDIO_OPUS = 0, /* 48 kHz, 20 ms packets, in-band FEC */
    AGORA_RTP_AUDIO_PCMU = 1, /* G.711 mu-law, 8 kHz, 20 ms packets (160 bytes) */
    AGORA_RTP_AUDIO_PCMA = 2, /* G.711 A-law */
    AGORA_RTP_AUDIO_G722 = 3, /* G.722 64 kbit/s: 16 kHz audio on an 8000 Hz RTP clock
                                 (RFC 3551), a byte a tick like G.711 */
};

/* From now on our audio is sent in `codec` with `payload_type` (0..127),
 * sent frames resampled to its rate; what the send side still held leaves in
 * the old codec first and the next packet starts a new round. Remote streams
 * added after this call are decoded as `codec`: their packets of another
 * payload type (comfort noise, telephone-event) are skipped (other_payload).
 * G.711 is decoded to 8 kHz (G.722 to 16 kHz) and resampled to the observer's rate by the
 * receive path; a lost G.711 packet plays as silence. After
 * rtp_open (the socket need not be bound again: the codec survives a
 * reconnect until set again). AGORA_ERR_NOT_READY before the first rtp_open.
 * dtmf_payload_type: the telephone-event payload type (RFC 4733) of the
 * session, -1 when none: remote users' key presses are reported
 * (on_dtmf_received, when the key is released) and agora_rtc_conn_rtp_send_dtmf
 * sends on our stream.
 * packet_ms: the length of the packets we send, 10..60 ms for G.711 and G.722
 * (the phone's a=ptime), 20 for Opus; 0 means 20. Received G.711 / G.722
 * packets of any length are heard in full (cut into 20 ms pieces). G.722 is
 * decoded to 16 kHz. */
int agora_rtc_conn_rtp_set_audio_codec(agora_rtc_conn *conn, int codec, int payload_type,
                                      int dtmf_payload_type, int packet_ms);

/* Protect what we send from now on (RTP and RTCP) with SRTP: srtp_suite 32 or 80 with
 * the 30-byte master key + salt (a SIP call's SDES key, RFC 4568); 0 sends plain RTP
 * again (key ignored). The remote's packets are decrypted by the key given to
 * agora_rtc_conn_rtp_add_remote. AGORA_ERR_NOT_READY before rtp_open; AGORA_ERR_FAILED
 * when libsrtp refused the key. */
int agora_rtc_conn_rtp_set_send_srtp(agora_rtc_conn *conn, int srtp_suite,
                                     const uint8_t *srtp_key_salt);

/* Queue a key press on our audio stream as telephone-events (RFC 4733):
 * event 0-9, 10 '*', 11 '#', 12-15 'A'-'D', held duration_ms (40..5000),
 * after the keys queued before it (60 ms apart; at most 32 waiting:
 * AGORA_ERR_NO_MEMORY). AGORA_ERR_NOT_SUPPORTED when the session has no
 * telephone-event payload type, AGORA_ERR_NOT_READY without a publish target. */
int agora_rtc_conn_rtp_send_dtmf(agora_rtc_conn *conn, int event, int duration_ms);

/* The SSRC given to agora_rtc_conn_rtp_add_remote when it is not known: the
 * stream takes the SSRC of the first RTP packet of no known stream (a SIP
 * call, whose SDP does not announce it; one such stream per connection). */
#define AGORA_RTP_SSRC_ANY 0u

/* A remote user's forwarded audio, recognised by its SSRC: creates its jitter
 * buffer, Opus decoder and (srtp_suite 32 or 80, with the 30-byte key+salt)
 * SRTP session; srtp_suite 0 = plain RTP (key ignored). The user gets
 * on_user_audio_track_subscribed. AGORA_ERR_INVALID_STATE when the SSRC or
 * the user id already has a stream (remove it first), AGORA_ERR_NOT_READY when
 * the socket is not open. Whether frames reach the observer follows the
 * subscription calls (subscribe_audio / unsubscribe_all_audio ...) as on the
 * local transport. */
int agora_rtc_conn_rtp_add_remote(agora_rtc_conn *conn, uint32_t ssrc, const char *user_id,
                                  int srtp_suite, const uint8_t *srtp_key_salt);

/* Stop hearing a stream: frees its jitter buffer, decoder and SRTP session,
 * drops the user's receive path (and VAD state), and reports
 * on_user_audio_track_state_changed(STOPPED, REMOTE_OFFLINE). No frame of
 * the user is produced after it returns (frames already queued for delivery
 * are still delivered). AGORA_ERR_INVALID_ARGUMENT for an unknown SSRC. */
int agora_rtc_conn_rtp_remove_remote(agora_rtc_conn *conn, uint32_t ssrc);

/* Video (VP8 and H.264 on the wire; raw pushes are encoded to the stream's codec).
 *
 * Our video stream: the control plane announced it to Janus (a video stream
 * of add_remote_publisher at mindex k) and gives its SSRC (1000 + 10*k),
 * codec (1 VP8, 2 H.264: Agora VIDEO_CODEC_TYPE) and payload type (Janus
 * 1.1.2: 96 VP8, 107 H.264). From then on push_video_encoded_data of that
 * codec is packetized (RFC 7741 / RFC 6184, <= 1200-byte payloads) and sent
 * to the publish target, and so are raw frames once encoded to it (video.h);
 * other codecs are refused with AGORA_ERR_NOT_SUPPORTED. A PLI or FIR for that SSRC arriving on the socket
 * (Janus latches our address from the SR sent after the first frame) counts
 * as an intra request: on_intra_request_received(""). Once per connect,
 * after set_publish_target; AGORA_ERR_NOT_READY when the socket is closed. */
int agora_rtc_conn_rtp_set_video_publish(agora_rtc_conn *conn, uint32_t ssrc, int codec,
                                         int payload_type);
/* A remote user's forwarded video (codec 1 VP8 / 2 H.264), recognised by its
 * SSRC, optionally SRTP as add_remote: packets are reordered (64-packet
 * window, 40 ms), depacketized, and complete frames are delivered to the
 * encoded frame observer when the connection subscribes to user_id's video
 * encoded-only (a raw subscription counts them in encoded_not_decoded).
 * After a loss, frames are dropped until a keyframe. Removed by
 * agora_rtc_conn_rtp_remove_remote(ssrc). AGORA_ERR_INVALID_STATE when the
 * SSRC or the user already has a video stream. */
int agora_rtc_conn_rtp_add_video_remote(agora_rtc_conn *conn, uint32_t ssrc, const char *user_id,
                                        int codec, int srtp_suite, const uint8_t *srtp_key_salt);
/* Where keyframe requests for the video remote `ssrc` go: Janus's RTCP
 * feedback port of that forward (rtp_forward with rtcp_port answers it as
 * local_rtcp_port). The engine sends a PLI there on a lost frame, on a delta
 * frame while it waits for a keyframe, and on send_intra_request(user),
 * at most one per 300 ms per stream. AGORA_ERR_INVALID_ARGUMENT for an
 * unknown SSRC or a bad address. */
int agora_rtc_conn_rtp_set_remote_feedback(agora_rtc_conn *conn, uint32_t ssrc, const char *ip,
                                           uint16_t rtcp_port);
/* Data: stream messages and audio metadata.
 *
 * Our data stream: the control plane announced a "data" stream of
 * add_remote_publisher at mindex k and gives its SSRC (1000 + 10*k). From then
 * on each send_stream_message / send_audio_meta_data is one datagram to the
 * publish target: a 12-byte RTP header (that SSRC, payload type 0 when the
 * message is valid UTF-8, else 1) and the message; Janus 1.1.2 strips the header
 * and relays the message on its data channels, as text (payload type 0) or
 * binary (1), to every subscriber of our publisher (a browser's janus.js
 * `ondata(data, label)`, the label being our publisher id) and every rtp_forward
 * of our data stream. Audio metadata travels the same way, as a binary message
 * that begins with AGORA_RTP_METADATA_TAG (0xFF can never start UTF-8 text), so a
 * stream message may not begin with the tag, nor be empty (Janus relays no empty
 * message): both AGORA_ERR_INVALID_ARGUMENT. Until this is called (and again
 * once the socket closes) sending returns AGORA_ERR_NOT_SUPPORTED. Once per
 * connect, after set_publish_target; AGORA_ERR_NOT_READY when the socket is closed. */
#define AGORA_RTP_METADATA_TAG "\xff" "amd"
#define AGORA_RTP_METADATA_TAG_LEN 4
int agora_rtc_conn_rtp_set_data_publish(agora_rtc_conn *conn, uint32_t ssrc);
/* A remote user's data: opens a UDP socket of its own (the address of the
 * connection's socket, an ephemeral port in *local_port) for Janus's rtp_forward
 * of that user's data stream, which sends each message bare. A datagram on it is
 * that user's stream message (stream id 1: the sender's stream id is not carried)
 * or, when it begins with AGORA_RTP_METADATA_TAG, audio metadata; one over
 * AGORA_MAX_STREAM_MESSAGE bytes (AGORA_MAX_AUDIO_METADATA for metadata), or over
 * what a sender may send within a second over all its streams
 * (AGORA_MAX_DATA_STREAMS * AGORA_STREAM_MESSAGES_PER_SEC messages,
 * AGORA_STREAM_BYTES_PER_SEC bytes: a browser is not held to them) is dropped
 * and counted (data_dropped). AGORA_ERR_INVALID_STATE when the user has a data
 * socket already, AGORA_ERR_NOT_READY when the connection's socket is closed.
 * Closed by remove_data_remote, or with the connection's socket. */
int agora_rtc_conn_rtp_add_data_remote(agora_rtc_conn *conn, const char *user_id,
                                       uint16_t *local_port);
/* Close a remote user's data socket: no message of it is delivered after it
 * returns (messages already queued for delivery still are).
 * AGORA_ERR_INVALID_ARGUMENT when the user has none. */
int agora_rtc_conn_rtp_remove_data_remote(agora_rtc_conn *conn, const char *user_id);

/* Post a connection event (enum agora_conn_event) through the I/O thread, so
 * that it is ordered with the media around it. Synchronous: when it returns
 * the connection state has changed and the observer call is queued.
 * user_id: USER_JOINED / USER_LEFT only (else ignored); reason: passed to the
 * observer (on_connected's reason, e.g. 1 = join success; on_user_left's
 * reason, e.g. 0 = quit, 1 = dropped). AGORA_ERR_INVALID_STATE when the event
 * does not apply to the current state (e.g. CONNECTED after the user called
 * disconnect: nothing happens), AGORA_ERR_NOT_SUPPORTED on a local connection. */
int agora_rtc_conn_post_event(agora_rtc_conn *conn, int event, const char *user_id, int reason);

/* Liveness of our published stream: while connected with a publish target and no
 * RTP left for AGORA_RTP_KEEPALIVE_MS, the engine sends an RTP keepalive
 * (a padding-only packet, RFC 3550 5.1) every AGORA_RTP_KEEPALIVE_MS, so a
 * relay that forwards only RTP (Janus's rtp_forward) still tells receivers
 * that we are there. One also leaves right after the last packet of each
 * talk spurt: the receivers' jitter buffers then end the stream's audio there
 * without concealment frames. Receivers consume its sequence number without
 * counting a loss. */
#define AGORA_RTP_KEEPALIVE_MS 1000

/* We are leaving: send an RTCP BYE (after an SR, RFC 3550 6.6) for our
 * audio stream, and video stream if any, to the publish target's RTCP port,
 * and stop sending (until the next set_publish_target). AGORA_OK also when
 * there is nothing to say goodbye to (no target, no RTCP port, socket closed). */
int agora_rtc_conn_rtp_send_bye(agora_rtc_conn *conn);

/* When each remote audio stream was last heard. */
typedef struct agora_rtp_remote_activity {
    uint32_t ssrc;
    int bye;          /* 1 once an RTCP BYE named it */
    int64_t idle_ms;  /* ms since its last RTP packet (keepalives included) or RTCP
                         packet naming it; since it was added when nothing came yet */
} agora_rtp_remote_activity;

/* Fill out[0..max) with the audio remotes (one I/O-thread round trip for
 * all of them); returns how many there are (may be > max: only max were
 * written), 0 when the socket is closed, or a negative error (out NULL with
 * max > 0). The control plane decides from these whether a user has left. */
int agora_rtc_conn_rtp_remote_activity(agora_rtc_conn *conn, agora_rtp_remote_activity *out,
                                       int max);

/* Snapshot of the transport counters. AGORA_ERR_NOT_SUPPORTED on a local
 * connection; works with the socket closed (counters since the last open). */
int agora_rtc_conn_rtp_get_stats(agora_rtc_conn *conn, agora_rtp_transport_stats *out);

#ifdef __cplusplus
}
#endif
#endif
