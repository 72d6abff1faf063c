/* The transport interface: how a connection's audio and membership reach other
 * users. A connection picks its transport once, at create
 * (from the service's list, agora_service_transport), and the engine reaches a
 * transport only through this table; transports reach the engine through its
 * I/O helpers (engine.h: agora_io_emit, agora_io_deliver_audio, ...). The
 * engine never names a transport: they live a layer above it (net/), and the
 * service is given their list when it is made (api/service_create.c). Two
 * implement it: the in-process network (net/local/) and RTP to Janus (net/rtp/).
 *
 * Threads: the flags and the caller-thread hooks are used by the public
 * connection calls on any thread; the rest runs on the service's I/O thread
 * only. A NULL hook does nothing. */
#ifndef AGORA_RTC_TRANSPORT_H
#define AGORA_RTC_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct agora_service agora_service;
typedef struct agora_rtc_conn agora_rtc_conn;
typedef struct io_item io_item;
struct agora_remote_audio_stats;
struct agora_video_buf;

/* AGORA_TRANSPORT_* kinds are below this (agora_service.net has a slot each). */
#define AGORA_MAX_TRANSPORTS 4

typedef struct agora_transport_ops {
    const char *name;
    int kind;                  /* AGORA_TRANSPORT_* of the connection config it serves */
    /* -- properties, read on caller threads -- */
    int round_prefill;         /* a round's first frames may leave in a burst (prefill_ms) */
    int joined_by_control_plane; /* connect() posts nothing: a control plane joins and posts
                                  * CONNECTED or a failure */
    int carries_data;          /* stream messages and audio metadata */
    int disconnect_when_idle;  /* disconnect() reaches the I/O thread even when disconnected
                                * (sockets may be open before a join) */
    int fans_out_audio;        /* IO_AUDIO only queues receive jobs: the I/O loop batches a run
                                * of them before the pool runs (io_loop.c run_queue) */
    /* -- caller threads -- */
    void (*interrupted)(agora_rtc_conn *c);   /* interrupt_audio cleared the send queue */
    void (*destroying)(agora_rtc_conn *c);    /* destroy, after the service list dropped c */
    void (*freed)(agora_rtc_conn *c);         /* the last reference went: free the transport's
                                               * state of c (no thread uses it any more) */
    /* a stream message (IO_MESSAGE) or audio metadata (IO_METADATA) within the size
     * limits may travel: AGORA_OK, else the error send_* returns */
    int (*data_ok)(const agora_rtc_conn *c, int kind, const uint8_t *data, size_t length);
    /* -- I/O thread -- */
    void (*join)(agora_service *svc, agora_rtc_conn *c);            /* IO_CONNECT */
    void (*send_audio)(agora_service *svc, io_item *it);            /* IO_AUDIO */
    void (*send_data)(agora_service *svc, io_item *it);  /* IO_MESSAGE, IO_METADATA */
    void (*listen_changed)(agora_rtc_conn *c, int on);   /* c started / stopped hearing audio */
    void (*leave)(agora_service *svc, agora_rtc_conn *c);           /* IO_DISCONNECT */
    void (*publish_changed)(agora_service *svc, agora_rtc_conn *c, int publish);
    int (*has_publisher)(const agora_rtc_conn *c, const char *uid); /* uid's audio is published */
    void (*subscribe_all)(agora_service *svc, agora_rtc_conn *c);   /* before sub_all is set */
    void (*process)(agora_service *svc, io_item *it);   /* the transport's own work items */
    /* remote users' stats beyond the receive paths' (out[0..n) filled), returns the new
     * count; *users = members of the channel (the connection included) */
    int (*remote_audio_stats)(const agora_rtc_conn *c, struct agora_remote_audio_stats *out, int n,
                              int max, int *users);
    /* -- video (video_frames.c) -- */
    int carries_raw_video;     /* raw frames travel as they are (the local network) */
    /* caller thread: the codec raw frames are encoded to before video_send (1 VP8,
     * 2 H.264), 0 when they cannot be sent now (NULL: they are never encoded) */
    int (*video_encode_codec)(const agora_rtc_conn *c);
    /* caller thread: AGORA_OK when an encoded frame of codec may be pushed (NULL: any) */
    int (*video_codec_ok)(const agora_rtc_conn *c, int codec);
    /* caller thread: AGORA_OK when the encoded frame can be sent as it is (NULL: any) */
    int (*video_frame_ok)(const agora_rtc_conn *c, const uint8_t *data, size_t length, int codec);
    /* I/O thread: the other users of c's channel whose video c may see and who see
     * c's (NULL: none, video tracks come from the transport's own signalling) */
    struct agora_rtc_conn **(*channel_members)(const struct agora_rtc_conn *c, int *count);
    /* I/O thread: a pushed frame (IO_VIDEO_FRAME) and a key frame request (IO_VIDEO_INTRA) */
    void (*video_send)(agora_service *svc, agora_rtc_conn *c, struct agora_video_buf *b);
    int (*video_request_keyframe)(agora_service *svc, agora_rtc_conn *c, const char *uid);
    /* -- I/O loop hooks, once per service and loop iteration / exit -- */
    void (*on_timer)(agora_service *svc, uint64_t expirations); /* the playout timer fired */
    void (*on_loop_exit)(agora_service *svc);                     /* close what is left */
} agora_transport_ops;


/* A file descriptor the I/O loop watches (epoll data.ptr): when readable the
 * loop calls on_readable with the watch, before the work queue is run (the
 * only place that closes watched fds, so a watch is valid while ready). */
typedef struct agora_io_watch {
    void (*on_readable)(agora_service *svc, struct agora_io_watch *w);
} agora_io_watch;

#endif
