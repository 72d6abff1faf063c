/* Connection and local user: join a channel, publish and push audio, hear
 * remote users. Observers are structs of function pointers plus user_data.
 *
 * Threading contract: every observer function is called on the service's
 * delivery thread, never while an engine lock is held, never on the media
 * clock thread. Unregistering waits until no call to that observer is in
 * flight (except when unregistering from inside that observer's own call). */
#ifndef AGORA_RTC_CONNECTION_H
#define AGORA_RTC_CONNECTION_H

#include <stddef.h>
#include <stdint.h>
#include "agora_rtc/audio_frame.h"
#include "agora_rtc/service.h"
#include "agora_rtc/vad.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AGORA_MAX_ID_LEN 64             /* channel ids and user ids, bytes, without NUL */
#define AGORA_MAX_STREAM_MESSAGE 1024   /* bytes per stream message (Agora's limit) */
#define AGORA_MAX_AUDIO_METADATA 64     /* bytes per audio metadata packet */
#define AGORA_MAX_DATA_STREAMS 5          /* per connection, the default stream included */
#define AGORA_STREAM_MESSAGES_PER_SEC 60  /* stream messages per data stream per second */
#define AGORA_STREAM_BYTES_PER_SEC (30 * 1024) /* stream-message bytes per connection per second, all streams */

enum agora_connection_state {
    AGORA_CONN_DISCONNECTED = 1,
    AGORA_CONN_CONNECTING = 2,
    AGORA_CONN_CONNECTED = 3,
    AGORA_CONN_RECONNECTING = 4,
    AGORA_CONN_FAILED = 5,
};

typedef struct agora_rtc_conn agora_rtc_conn;
struct agora_frame_queue_stats; /* frame_queue.h */

/* One remote speaker of a volume indication. */
typedef struct agora_audio_volume_info {
    char user_id[AGORA_MAX_ID_LEN + 1];
    int volume;          /* 0..255: peak of the smoothed frame volume in the interval */
    int vad;             /* 1 when >= 30 % of the interval's frames were voiced (report_vad on) */
    float voice_pitch;   /* Hz, mean over the voiced frames of the interval, 0 if none */
} agora_audio_volume_info;

/* An encoded audio frame (push_audio_encoded_data, on_encoded_audio_frame). */
#define AGORA_AUDIO_CODEC_OPUS 1          /* the engine's own codec (RTP, pass-through) */
#define AGORA_AUDIO_CODEC_PCMA 3          /* G.711 A-law, 8 kHz: pushed only */
#define AGORA_AUDIO_CODEC_PCMU 4          /* G.711 mu-law, 8 kHz: pushed only */
#define AGORA_AUDIO_CODEC_G722 5          /* G.722, 16 kHz mono: pushed only, needs libavcodec */
#define AGORA_AUDIO_CODEC_AACLC 8         /* AAC-LC (ADTS or raw): pushed only, needs libavcodec */
#define AGORA_AUDIO_CODEC_HEAAC 9         /* HE-AAC (AAC + SBR): pushed only, needs libavcodec */
#define AGORA_AUDIO_CODEC_HEAAC2 11       /* HE-AAC v2 (AAC + SBR + PS): pushed only, needs libavcodec */
#define AGORA_MAX_ENCODED_AUDIO_BYTES 4000
typedef struct agora_encoded_audio_info {
    int codec;               /* AGORA_AUDIO_CODEC_* */
    int sample_rate;         /* Opus: 48000 (its clock); G.711: 8000; G.722: 16000; AAC: the stream's */
    int channels;            /* 1 or 2 (Opus, ADTS: read from the packet) */
    int samples_per_channel; /* duration of the packet at sample_rate */
    int speech;              /* the sender's flag (1 default) */
    int64_t capture_time_ms; /* as pushed (engine clock at the push when not given);
                              * a receiver gets the sender's, or its receive instant on RTP */
} agora_encoded_audio_info;

/* Smoothed volume a voiced frame needs to count for the active speaker. */
#define AGORA_ACTIVE_SPEAKER_MIN_VOLUME 8
#define AGORA_VOLUME_INDICATION_MAX_INTERVAL_MS 60000

/* How a connection reaches the other users of its channel. */
enum agora_transport {
    AGORA_TRANSPORT_LOCAL = 0,  /* the service's in-process channel hub */
    AGORA_TRANSPORT_RTP = 1,    /* RTP/Opus over UDP driven by a control plane (rtp_transport.h) */
};

typedef struct agora_rtc_conn_config {
    int auto_subscribe_audio;   /* 1: hear every remote user that publishes */
    int client_role_type;       /* 1 broadcaster, 2 audience */
    int channel_profile;
    int playback_sample_rate;   /* format of observer frames; 0 = 16000 */
    int playback_channels;      /* 0 = 1 */
    int transport;              /* AGORA_TRANSPORT_LOCAL 0, AGORA_TRANSPORT_RTP 1 */
} agora_rtc_conn_config;

typedef struct agora_rtc_conn_info {
    uint64_t id;
    char channel_id[AGORA_MAX_ID_LEN + 1];
    char local_user_id[AGORA_MAX_ID_LEN + 1];
    int state;                  /* enum agora_connection_state */
    uint32_t internal_uid;
} agora_rtc_conn_info;

typedef struct agora_rtc_conn_observer {
    void *user_data;
    void (*on_connected)(void *ud, const agora_rtc_conn_info *info, int reason);
    void (*on_disconnected)(void *ud, const agora_rtc_conn_info *info, int reason);
    void (*on_connecting)(void *ud, const agora_rtc_conn_info *info, int reason);
    void (*on_connection_failure)(void *ud, const agora_rtc_conn_info *info, int reason);
    void (*on_user_joined)(void *ud, const char *user_id);
    void (*on_user_left)(void *ud, const char *user_id, int reason);
    /* RTP transport (events posted by the control plane, rtp_transport.h) */
    void (*on_connection_lost)(void *ud, const agora_rtc_conn_info *info);
    void (*on_reconnecting)(void *ud, const agora_rtc_conn_info *info, int reason);
    void (*on_reconnected)(void *ud, const agora_rtc_conn_info *info, int reason);
    /* Periodic (agora_service_set_stats_interval_ms) while connected: time to
     * read the statistics (interval_ms since the previous tick). */
    void (*on_transport_stats)(void *ud, int interval_ms);
} agora_rtc_conn_observer;

typedef struct agora_local_user_observer {
    void *user_data;
    void (*on_audio_track_publish_success)(void *ud);
    void (*on_audio_track_unpublished)(void *ud);
    void (*on_user_audio_track_subscribed)(void *ud, const char *user_id);
    void (*on_user_audio_track_state_changed)(void *ud, const char *user_id, int state,
                                              int reason, int elapsed_ms);
    void (*on_first_remote_audio_frame)(void *ud, const char *user_id, int elapsed_ms);
    void (*on_stream_message)(void *ud, const char *user_id, int stream_id,
                              const uint8_t *data, size_t length);
    void (*on_audio_meta_data_received)(void *ud, const char *user_id,
                                        const uint8_t *data, size_t length);
    /* The send queue drained after sending a round of audio (round_ms long). */
    void (*on_audio_push_completed)(void *ud, int round_ms);
    /* Periodic, right after on_transport_stats: time to read the audio track statistics. */
    void (*on_audio_track_stats)(void *ud, int interval_ms);
    /* Every interval of agora_local_user_set_audio_volume_indication_parameters:
     * the remote users heard in it, loudest first (speakers borrowed for the call). */
    void (*on_audio_volume_indication)(void *ud, const agora_audio_volume_info *speakers,
                                       unsigned speaker_number, int total_volume);
    /* The most active remote speaker changed (reported once per change). */
    void (*on_active_speaker)(void *ud, const char *user_id);
    /* An encoded packet of a remote user, as its sender pushed it (local
     * network) or as it arrived (RTP); only while
     * agora_rtc_conn_set_encoded_audio_delivery is on. data is borrowed. */
    void (*on_encoded_audio_frame)(void *ud, const char *user_id, const uint8_t *data,
                                   size_t length, const agora_encoded_audio_info *info);
    /* Optional (NULL: none): packets were dropped by the bounded backlog of
     * encoded delivery (frame_queue.h); called on the delivery thread before
     * a packet, at most every AGORA_FRAME_QUEUE_WARN_INTERVAL_MS. */
    void (*on_encoded_audio_backlog)(void *ud, const struct agora_frame_queue_stats *stats);
    /* A key a remote user pressed (RFC 4733 telephone-event on the RTP
     * transport: a SIP call), once per key when it is released: event 0-9
     * the digits, 10 '*', 11 '#', 12-15 'A'-'D'; duration_ms how long it was
     * held. */
    void (*on_dtmf_received)(void *ud, const char *user_id, int event, int duration_ms);
} agora_local_user_observer;

typedef struct agora_audio_frame_observer {
    void *user_data;
    /* vad is NULL when the observer was registered without VAD. */
    void (*on_playback_audio_frame_before_mixing)(void *ud, const char *channel_id,
                                                  const char *user_id,
                                                  const agora_audio_frame *frame,
                                                  const agora_vad_result *vad);
    /* 0: the delivery thread makes every call (the default: the callback may
     * run user code). 1: the callback is thread-safe and never blocks (a
     * native queue such as agora_frame_queue_observer's): the receive threads
     * call it as each frame is made, several at once, with no hand-off to the
     * delivery thread. Frames of one remote user still arrive in order. */
    int any_thread;
    /* Optional (NULL: none): called after the frames of one receive run were
     * passed to the callback (on the I/O thread for any_thread observers, on
     * the delivery thread after each call otherwise). A native queue wakes
     * its consumer here once per run instead of once per frame. */
    void (*on_frames_done)(void *ud);
    /* Optional, direct delivery only (any_thread 0): frames were dropped by the
     * bounded backlog (frame_queue.h); called on the delivery thread before a
     * frame, at most every AGORA_FRAME_QUEUE_WARN_INTERVAL_MS. */
    void (*on_backlog)(void *ud, const struct agora_frame_queue_stats *stats);
} agora_audio_frame_observer;

/* What interrupt_audio dropped and what had already left. */
typedef struct agora_interrupt_report {
    int64_t sent_ms;              /* ms of the interrupted round that were sent */
    int64_t dropped_ms;           /* ms that were queued and dropped */
    int64_t last_presentation_ms; /* presentation_ms of the last frame that left, -1 if none */
} agora_interrupt_report;

/* Engine counters of the outgoing audio of one connection. */
typedef struct agora_send_stats {
    uint64_t pushed_samples;   /* per channel, in the formats pushed */
    uint64_t sent_frames;      /* 10 ms frames handed to the transport */
    uint64_t dropped_samples;  /* removed by interrupt_audio */
    uint64_t queued_samples;   /* per channel, waiting (send format) */
    uint64_t drained_events;   /* times the queue drained after sending */
} agora_send_stats;

/* What this connection received from one remote user. Frames and bytes are
 * counted by the receive path (PCM as received, before conversion to the
 * observer format), so they count while an audio-frame observer is
 * registered; the RTP fields are the remote's jitter buffer and decoder. */
typedef struct agora_remote_audio_stats {
    char user_id[AGORA_MAX_ID_LEN + 1];
    int sample_rate, channels;   /* format received, 0 before the first frame */
    uint64_t frames_received;    /* 10 ms frames (local) or packets decoded (RTP) */
    uint64_t bytes_received;     /* their PCM bytes */
    uint64_t packets_lost;       /* RTP: sequence numbers given up; local: 0 */
    uint64_t frames_concealed;   /* RTP: loss concealment frames; local: 0 */
    int jitter_buffer_delay_ms;  /* RTP: current delay; local: 0 (no jitter buffer) */
    int rtp;                     /* 1 when the RTP fields are measured */
    /* RTP: every audio packet of the user received is in one counter:
     * packets_received = keepalives + packets_played + packets_late + packets_duplicate
     *                    + packets_dropped + packets_invalid + packets_buffered */
    uint64_t packets_received;   /* RTP packets of its audio stream (after SRTP) */
    uint64_t keepalives;         /* of those: padding-only keepalives */
    uint64_t packets_played;     /* played by the jitter buffer (decoded, or unheard) */
    uint64_t packets_late;       /* arrived after their turn */
    uint64_t packets_duplicate;  /* second copies */
    uint64_t packets_dropped;    /* discarded to keep the delay down, or by a stream restart */
    uint64_t packets_invalid;    /* oversize, an unconfirmed sequence jump */
    uint64_t packets_buffered;   /* in the jitter buffer now */
    uint64_t packets_stale;      /* of late + dropped: a delay spike's, discarded on arrival */
    uint64_t frames_fec;         /* lost packets rebuilt from the next one's FEC */
    /* RTP: how the jitter buffer moves its delay */
    int jitter_buffer_target_ms; /* the delay it aims at now */
    uint64_t frames_stretched;   /* concealment frames inserted to grow the delay */
    uint64_t packets_shrunk;     /* of packets_dropped: buffered ones dropped to shrink it */
    uint64_t stretch_accelerations; /* decoded audio shortened by a pitch period (shrink) */
    uint64_t stretch_expansions;    /* decoded audio lengthened by a pitch period (grow) */
    int64_t stretch_ms;          /* their net effect on the delay: added - removed, ms */
    uint64_t jitter_buffer_delay_sum_ms; /* over packets_played: ms from each one's arrival to
                                            its playout (WebRTC's jitterBufferDelay) */
} agora_remote_audio_stats;

agora_rtc_conn *agora_rtc_conn_create(agora_service *svc, const agora_rtc_conn_config *cfg);
/* Extra references for callers that use a connection from several threads:
 * the memory stays valid until the last reference is dropped, even after
 * agora_rtc_conn_destroy (calls on a destroyed connection are harmless). */
void agora_rtc_conn_retain(agora_rtc_conn *conn);
void agora_rtc_conn_unretain(agora_rtc_conn *conn);
/* Disconnects if needed, unregisters every observer (waiting for in-flight
 * calls), and frees the connection once no pending event refers to it. */
int agora_rtc_conn_destroy(agora_rtc_conn *conn);

/* Asynchronous: the result arrives as on_connected / on_connection_failure.
 * RTP transport: only validates and sets CONNECTING; the control plane
 * reports the outcome with agora_rtc_conn_post_event. */
int agora_rtc_conn_connect(agora_rtc_conn *conn, const char *token, const char *channel_id,
                           const char *user_id);
/* Synchronous: when it returns, remote users have seen on_user_left and this
 * connection receives no more media; on_disconnected is queued. RTP
 * transport: the socket is closed and every remote stream dropped. */
int agora_rtc_conn_disconnect(agora_rtc_conn *conn);
int agora_rtc_conn_get_info(agora_rtc_conn *conn, agora_rtc_conn_info *out);

int agora_rtc_conn_register_observer(agora_rtc_conn *conn, const agora_rtc_conn_observer *obs);
int agora_rtc_conn_unregister_observer(agora_rtc_conn *conn);
int agora_rtc_conn_register_local_user_observer(agora_rtc_conn *conn,
                                                const agora_local_user_observer *obs);
int agora_rtc_conn_unregister_local_user_observer(agora_rtc_conn *conn);
/* Delivery filter flags for the audio-frame observer. */
#define AGORA_AUDIO_DELIVER_ALL 0
/* Only frames whose VAD state is 1, 2 or 3 reach the observer: a silent user
 * costs no observer call at all. Requires VAD. */
#define AGORA_AUDIO_DELIVER_SPEECH_ONLY 1

/* vad_config NULL = VAD off (the observer gets vad == NULL). The config is copied. */
int agora_rtc_conn_register_audio_frame_observer(agora_rtc_conn *conn,
                                                 const agora_audio_frame_observer *obs,
                                                 const agora_vad_config *vad_config, int flags);
int agora_rtc_conn_unregister_audio_frame_observer(agora_rtc_conn *conn);

/* Local user. */
int agora_local_user_publish_audio(agora_rtc_conn *conn);
int agora_local_user_unpublish_audio(agora_rtc_conn *conn);
int agora_local_user_subscribe_audio(agora_rtc_conn *conn, const char *user_id);
int agora_local_user_unsubscribe_audio(agora_rtc_conn *conn, const char *user_id);
int agora_local_user_subscribe_all_audio(agora_rtc_conn *conn);
int agora_local_user_unsubscribe_all_audio(agora_rtc_conn *conn);
int agora_local_user_set_playback_audio_frame_before_mixing_parameters(agora_rtc_conn *conn,
                                                                       int channels,
                                                                       int sample_rate);
int agora_local_user_set_user_role(agora_rtc_conn *conn, int role);
/* Server-side processing of received audio (receive_processing.c):
 * AGORA_APM_* flags (audio_processing.h), 0 = off (the default). Every remote
 * user's path is rebuilt with it at its next frame (its VAD restarts). */
int agora_rtc_conn_set_audio_processing(agora_rtc_conn *conn, int flags);
/* Volume indication of the remote users (volume_indication.c). interval_ms <= 0
 * turns it off; otherwise a multiple of 10, at most
 * AGORA_VOLUME_INDICATION_MAX_INTERVAL_MS. smooth 0..10 (10 = no smoothing,
 * the most sensitive). report_vad 0/1 fills agora_audio_volume_info.vad.
 * While on, received audio is analysed even without an audio-frame observer. */
int agora_local_user_set_audio_volume_indication_parameters(agora_rtc_conn *conn, int interval_ms,
                                                            int smooth, int report_vad);

/* PCM push: interleaved int16, any whole number of sample frames; the data is
 * copied into the engine's send queue before this returns. */
int agora_rtc_conn_push_audio_pcm(agora_rtc_conn *conn, const int16_t *pcm,
                                  size_t samples_per_channel, int sample_rate, int channels,
                                  int64_t start_pts);
/* Push one encoded packet (encoded_audio.c). The packet is checked and
 * decoded at once (a malformed packet is refused with
 * AGORA_ERR_INVALID_ARGUMENT, nothing is queued). The decoded PCM is queued
 * like pushed PCM (same pacing, rounds, interrupt, completion); the packet
 * travels with it: local receivers with encoded delivery get its bytes
 * unchanged. By info->codec:
 *   OPUS: duration a multiple of 10 ms, at most 120 ms; channels, duration and
 *         rate read from the packet; the RTP transport sends it as is (no
 *         re-encoding) when it starts on a 10 ms frame boundary.
 *   PCMU, PCMA: G.711 at 8000 Hz (info->sample_rate 8000), info->channels 1 or
 *         2, one byte per sample (length a multiple of channels).
 *   G722: G.722 at 64 kbit/s (RFC 3551: 16000 Hz audio, info->sample_rate
 *         16000 or 8000, its RTP clock), mono, two samples per byte.
 *   AACLC, HEAAC, HEAAC2: one access unit, with an ADTS header (the header
 *         says the format; SBR / PS are found in the stream) or raw
 *         (info->sample_rate one of AAC's rates, the output rate of HE-AAC,
 *         whose core runs at half of it; info->channels 1 or 2, HE-AAC v2: 2;
 *         fixed by the connection's first raw packet).
 *   G722 and the AAC family are decoded by libavcodec, loaded on first use:
 *         AGORA_ERR_NOT_SUPPORTED when it cannot be (agora_audio_codec_supported
 *         says why).
 * Other codecs: AGORA_ERR_NOT_SUPPORTED. Non-Opus audio is re-encoded to
 * Opus on RTP. capture_time_ms < 0 = now. */
int agora_rtc_conn_push_audio_encoded(agora_rtc_conn *conn, const uint8_t *data, size_t length,
                                      const agora_encoded_audio_info *info);
/* 1 when packets of codec can be pushed here, else 0; *detail (if given) names
 * what the codec needs (AAC: the libavcodec file loaded at run time). */
int agora_audio_codec_supported(int codec, const char **detail);
/* Turn delivery of remote users' encoded packets to the local-user
 * observer's on_encoded_audio_frame on (1) or off (0). */
int agora_rtc_conn_set_encoded_audio_delivery(agora_rtc_conn *conn, int on);
int agora_rtc_conn_interrupt_audio(agora_rtc_conn *conn, agora_interrupt_report *report);
/* Incremental send (the original's SendExternalAudioParameters): the first
 * send_ms of each round of pushed audio (a round starts when audio is pushed
 * into an empty queue) leave at `speed` 10 ms frames per media-clock tick,
 * faster than real time, to fill the far side's jitter buffer; then one frame
 * per tick. The prefill burst counts towards send_ms. speed 1 (or send_ms 0)
 * turns it off. send_ms 0..AGORA_MAX_INCREMENTAL_SEND_MS, speed 1..5.
 * Applies from the next tick, to the current round too while it is shorter than send_ms. */
#define AGORA_MAX_INCREMENTAL_SEND_MS 60000
#define AGORA_MAX_INCREMENTAL_SEND_SPEED 5
int agora_rtc_conn_set_incremental_send(agora_rtc_conn *conn, int send_ms, int speed);
/* 1 when every pushed sample has been handed to the transport, else 0. */
int agora_rtc_conn_is_push_completed(agora_rtc_conn *conn);
int agora_rtc_conn_get_send_stats(agora_rtc_conn *conn, agora_send_stats *out);
/* Up to `max` remote users into out (*count of them, users first heard
 * first); *users_in_channel: members of the channel including this one
 * (local) or remote streams + 1 (RTP); 0 when not joined. Runs on the I/O
 * thread (blocks the caller briefly). */
int agora_rtc_conn_get_remote_audio_stats(agora_rtc_conn *conn, agora_remote_audio_stats *out,
                                          int max, int *count, int *users_in_channel);

/* Data streams. Stream 1 (the default, used by agora_rtc_conn_send_stream_message)
 * exists from creation; create_data_stream adds one (ids 2..AGORA_MAX_DATA_STREAMS,
 * AGORA_ERR_REFUSED beyond). On the local network delivery is reliable and
 * ordered whatever is asked; the RTP transport has no data channel
 * (AGORA_ERR_NOT_SUPPORTED when sending). Sending more than
 * AGORA_STREAM_MESSAGES_PER_SEC messages on one stream, or more than
 * AGORA_STREAM_BYTES_PER_SEC bytes over all streams of the connection, within
 * any second returns AGORA_ERR_TOO_OFTEN (the message is not sent)
 * unless the limit was switched off with set_stream_rate_limit(conn, 0).
 * An unknown stream id is AGORA_ERR_INVALID_ARGUMENT. */
int agora_rtc_conn_create_data_stream(agora_rtc_conn *conn, int *stream_id, int reliable, int ordered);
int agora_rtc_conn_set_stream_rate_limit(agora_rtc_conn *conn, int enabled);
/* Duration of the audio packets the connection encodes and sends: 10 or 20
 * ms (default 20). The RTP transport's Opus packets follow it from the next
 * packet on (shorter packets: less delay, more packets and header bytes);
 * the local network carries PCM and ignores it. AGORA_ERR_INVALID_ARGUMENT
 * for another value. */
int agora_rtc_conn_set_audio_packet_ms(agora_rtc_conn *conn, int ms);
/* libopus complexity (0..10) of the Opus encoder the RTP transport uses for
 * this connection's published audio, from the next packet on: lower costs
 * less CPU per stream for a little quality (benchmarks/bench_opus_complexity.py);
 * default AGORA_DEFAULT_OPUS_COMPLEXITY. The local network carries PCM and
 * ignores it. AGORA_ERR_INVALID_ARGUMENT outside 0..10. */
#define AGORA_DEFAULT_OPUS_COMPLEXITY 10
int agora_rtc_conn_set_opus_complexity(agora_rtc_conn *conn, int complexity);
int agora_rtc_conn_send_stream_message_on(agora_rtc_conn *conn, int stream_id,
                                          const uint8_t *data, size_t length);
int agora_rtc_conn_send_stream_message(agora_rtc_conn *conn, const uint8_t *data, size_t length);
int agora_rtc_conn_send_audio_meta_data(agora_rtc_conn *conn, const uint8_t *data, size_t length);
/* A phone key (0-9, 10 '*', 11 '#', 12-15 'A'-'D') that the user of this
 * connection (a caller bridged into the channel, e.g. from Twilio) pressed,
 * held duration_ms (0..65535, 0: not known): the channel's other users get
 * on_dtmf_received with this connection's user id, as for a SIP caller's
 * keys. On the local network; AGORA_ERR_NOT_SUPPORTED on the RTP transport
 * (a SIP call's keys to the phone: agora_rtc_conn_rtp_send_dtmf).
 * AGORA_ERR_NOT_READY when not connected. */
int agora_rtc_conn_send_dtmf_event(agora_rtc_conn *conn, int key, int duration_ms);

#ifdef __cplusplus
}
#endif
#endif
