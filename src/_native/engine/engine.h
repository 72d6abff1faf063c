/* Engine internals shared by the service, connection, channel hub, media
 * clock and delivery files. Nothing here is part of the public C API.
 *
 * Threads (per service):
 *   media clock  - ticks every 10 ms by absolute deadline, cuts frames from
 *                  send queues, posts them to the I/O thread; never runs user code.
 *   I/O          - owns the channel hub (membership, subscriptions), every
 *                  receive path (resample, labels, VAD; the per-frame work of a
 *                  batch runs fork-join on the receive pool, receive_pool.h,
 *                  while the I/O thread waits) and the RTP transport
 *                  (sockets, Opus encoders/decoders, jitter buffers, SRTP);
 *                  turns what arrives into events for the delivery thread.
 *                  Waits in epoll on the work queue's eventfd, the RTP sockets
 *                  and a 10 ms playout timerfd. Never waits on delivery.
 *   delivery     - calls observer functions, one at a time: connection and
 *                  local-user events first, then video/encoded media, then
 *                  "direct" audio frames from each connection's bounded
 *                  direct_q (delivery.c has the ordering rule).
 * Lock order: svc->mu before conn->mu before sendq.mu; conn->mu before a
 * frame queue's mu before delivery_q's (a direct_q wakes the delivery thread
 * under its own lock); no lock is held while an observer runs. The I/O thread takes conn->mu only briefly (observer
 * settings, state) and never while encoding, decoding or doing socket I/O.
 * An any_thread audio observer (the frame queue) is called on the receive
 * threads with no engine lock held; the run keeps it registered through
 * conn->audio_pool_holds (receive_pool.c), which (un)register wait for. */
#ifndef AGORA_RTC_ENGINE_H
#define AGORA_RTC_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "agora_rtc/agora_rtc.h"
#include "agora_rtc/frame_queue.h"
#include "engine/data_stream.h"
#include "audio/receive/receive_path.h"
#include "engine/receive_pool.h"
#include "audio/receive/rx_table.h"
#include "audio/send/send_queue.h"
#include "core/monotonic_clock.h"
#include "audio/send/sent_frame.h"
#include "engine/transport.h"
#include "audio/dsp/volume_meter.h"
#include "engine/video_state.h"
#include "core/frame_queue_control.h"
#include "core/uid_set.h"
#include "core/work_queue.h"

#define AGORA_MAX_FRAMES_PER_TICK 64

typedef struct agora_event agora_event;

/* The sample rates pushed audio may have (connection.c). */
int agora_audio_rate_valid(int rate);

enum observer_kind { OBS_CONN = 0, OBS_LOCAL_USER = 1, OBS_AUDIO = 2, OBS_KINDS = 3 };

struct agora_rtc_conn {
    agora_service *svc;
    atomic_int refs;
    uint64_t id;
    agora_rtc_conn_config cfg;
    const agora_transport_ops *transport; /* picked at create from cfg.transport, never changes */
    agora_rtc_conn *svc_prev, *svc_next; /* service list, under svc->mu */

    /* under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int state;                 /* enum agora_connection_state */
    int destroyed;             /* 1 while a destroy runs, 2 when it returned (cv broadcast) */
    char channel_id[AGORA_MAX_ID_LEN + 1];
    char user_id[AGORA_MAX_ID_LEN + 1];
    agora_rtc_conn_observer conn_obs;
    agora_local_user_observer lu_obs;
    agora_audio_frame_observer audio_obs;
    int obs_set[OBS_KINDS];    /* which observer tables are registered */
    int vad_enabled;
    int audio_flags;           /* AGORA_AUDIO_DELIVER_* */
    agora_vad_config vad_cfg;
    unsigned audio_obs_gen;    /* bumped on every (un)register: receive paths rebuild */
    agora_data_streams streams; /* data stream ids and send-rate window */
    int in_flight[OBS_KINDS];
    /* receive-pool runs that may call an any_thread audio observer (receive_pool.c):
     * unregister and register wait for 0, so such a call never outlives them */
    int audio_pool_holds;
    unsigned audio_hold_batch; /* I/O thread only: the pool batch that holds this conn */
    int pb_rate, pb_channels;  /* observer frame format */
    int apm_flags;             /* AGORA_APM_* on received audio (receive_processing.c) */
    /* I/O thread only: the settings above as the receive pool's current batch
     * first read them (receive_fanout.c): one lock of mu per listener and
     * playout tick, not one per remote stream; a change lands with the next batch */
    struct agora_rx_settings {
        unsigned batch;        /* the pool batch they were read for (0: never) */
        int has_obs, vad_on, flags, rate, chans, apm_flags;
        unsigned gen;
        agora_vad_config vad_cfg;
        agora_audio_frame_observer direct; /* any_thread observer (held), else zeroed */
    } rx_settings;

    atomic_int publishing;     /* read by the media clock */
    atomic_int on_air;         /* joined on the hub: the clock may send */
    atomic_int audio_packet_ms; /* duration of the encoded packets a transport sends (10 or 20) */
    atomic_int opus_complexity; /* libopus complexity (0..10) of a transport's Opus encoder */
    agora_send_queue sendq;
    /* media clock thread only: after a talk spurt, gap frames still to send
     * (media_clock.c) and the format of the spurt's last frame */
    int gap_frames_left, gap_rate, gap_channels;

    /* I/O thread only */
    /* the transport's state of this connection, owned by the transport, which
     * the engine never reads (net/local: its hub channel while joined; net/rtp:
     * its media plane, made by the first rtp_open, freed with the conn) */
    void *net;
    int joined;                /* the transport joined the channel and did not leave since */
    int net_publishing;        /* the transport was told to publish (publish_changed) */
    atomic_int net_data_ready; /* set by the transport: stream messages can travel now (its
                                * data_ok hook reads it on the caller thread) */
    int sub_all;
    uid_set sub_only;          /* explicit subscriptions when !sub_all */
    uid_set sub_except;        /* explicit unsubscriptions when sub_all */
    int hub_listening;         /* AGORA_LISTEN_* bits: why received audio is processed */
    agora_rx_table rx;         /* one receive path per remote user heard */
    agora_rx_hint rx_hint;     /* as a sender: the last listener's path for this user */
    /* created by the first set_audio_volume_indication_parameters, freed with the conn */
    agora_volume_meter *_Atomic volume_meter;
    /* encoded_audio.c: push-side decoders (created by the first encoded push) and
     * whether remote encoded packets go to the local-user observer */
    struct agora_encoded_sender *_Atomic encoded_sender;
    atomic_int encoded_delivery;
    /* remote packets wait for the delivery thread in encoded_q (the frame
     * queue's bounded policy, no VAD), served with direct_q through the same
     * token, older first; created when delivery is first switched on, freed
     * with the conn */
    agora_frame_queue *_Atomic encoded_q;
    unsigned encoded_gen;      /* under mu: bumped by every switch; older packets are stale */
    int encoded_backlog_ms;    /* under mu: limits applied when delivery is switched on */
    size_t encoded_max_frames;
    agora_conn_video video;    /* video observers, subscriptions, counters (video_state.h) */
    /* "direct" audio delivery (delivery.c): the receive threads push into
     * direct_q (the frame queue's bounded policy) and the delivery thread
     * calls direct_obs with what it pops */
    agora_frame_queue *direct_q; /* created by the first direct registration, freed with the conn */
    agora_event *audio_token;  /* EV_AUDIO_READY, pushed to delivery_q when direct_q or encoded_q wakes */
    atomic_int token_out;      /* the token is queued or on the delivery thread's ready list
                                * (holds a conn reference) */
    agora_rtc_conn *ready_next; /* delivery thread only: its ready list */
    int direct;                /* under mu: direct_obs is the registered audio observer */
    agora_audio_frame_observer direct_obs; /* under mu */
    int direct_backlog_ms;     /* under mu: limits of the next direct registration */
    size_t direct_max_frames;
};

/* Agora reason and state values used in events. */
enum {
    REASON_JOIN_SUCCESS = 1,
    REASON_LEAVE_CHANNEL = 5,
    REASON_REJECTED_BY_SERVER = 10,
    USER_OFFLINE_QUIT = 0,
    REMOTE_AUDIO_STATE_STOPPED = 0,
    REMOTE_AUDIO_STATE_DECODING = 2,
    REMOTE_AUDIO_REASON_REMOTE_MUTED = 5,
    REMOTE_AUDIO_REASON_REMOTE_UNMUTED = 6,
    ROLE_AUDIENCE = 2,
    DEFAULT_STREAM_ID = 1,
    REMOTE_AUDIO_REASON_REMOTE_OFFLINE = 7, /* a remote that went silent (RTP peer timeout) */
};

/* I/O work items. */
enum io_kind {
    IO_CONNECT, IO_DISCONNECT, IO_AUDIO, IO_PUBLISH, IO_UNPUBLISH, IO_MESSAGE, IO_METADATA,
    IO_SUBSCRIBE, IO_UNSUBSCRIBE, IO_SUBSCRIBE_ALL, IO_UNSUBSCRIBE_ALL, IO_LISTEN, IO_FLUSH,
    IO_DTMF, /* a key a caller pressed, to the channel's other users (send_data; data: key, ms) */
    /* items of the connection's transport (transport->process): the RTP transport's */
    IO_TRANSPORT_ITEMS,
    IO_RTP_OPEN = IO_TRANSPORT_ITEMS, IO_RTP_TARGET, IO_RTP_ADD, IO_RTP_REMOVE, IO_RTP_EVENT,
    IO_RTP_STATS, IO_RTP_CLOSE, IO_RTP_END_ROUND, IO_RTP_VIDEO_PUBLISH, IO_RTP_VIDEO_ADD,
    IO_RTP_FEEDBACK, IO_RTP_BYE, IO_RTP_ACTIVITY, /* leaving (RTCP BYE), a remote's liveness */
    IO_RTP_DATA_PUBLISH, IO_RTP_DATA_ADD, IO_RTP_DATA_REMOVE, /* data channels (rtp_data.c) */
    IO_RTP_AUDIO_CODEC, IO_RTP_DTMF, /* the audio codec on the wire, keys sent (SIP calls) */
    IO_RTP_SEND_SRTP, /* our packets SRTP-protected (a SIP call's SDES keys) */
    IO_TRANSPORT_ITEMS_END,
    IO_AUDIO_STATS = IO_TRANSPORT_ITEMS_END, /* audio_stats.c */
    /* video (video_frames.c) */
    IO_VIDEO_PUBLISH, IO_VIDEO_UNPUBLISH, IO_VIDEO_FRAME, IO_VIDEO_SUBSCRIBE,
    IO_VIDEO_UNSUBSCRIBE, IO_VIDEO_SUBSCRIBE_ALL, IO_VIDEO_UNSUBSCRIBE_ALL, IO_VIDEO_INTRA,
};

typedef struct io_item {
    agora_qnode node;          /* first member: the queue links through it */
    int kind;
    agora_rtc_conn *conn;      /* holds a reference */
    agora_sent_frame *frame;   /* IO_AUDIO, holds a reference */
    int *done;                 /* when set, the I/O thread sets *done = 1 and signals svc->sync_cv */
    char uid[AGORA_MAX_ID_LEN + 1];
    int arg;
    int arg2;
    uint32_t u32;
    int *result;               /* when set, the handler stores its return code here (wait items) */
    void *out;                 /* handler output (wait items) */
    size_t length;
    agora_video_buf *video;    /* IO_VIDEO_FRAME, holds a reference */
    uint8_t data[];
} io_item;

/* Delivery events. */
enum event_kind {
    EV_CONNECTED, EV_DISCONNECTED, EV_CONNECTION_FAILURE, EV_USER_JOINED, EV_USER_LEFT,
    EV_PUBLISH_SUCCESS, EV_UNPUBLISHED, EV_TRACK_SUBSCRIBED, EV_TRACK_STATE, EV_FIRST_FRAME,
    EV_STREAM_MESSAGE, EV_METADATA, EV_AUDIO_FRAME, EV_PUSH_COMPLETED,
    EV_CONNECTION_LOST, EV_RECONNECTING, EV_RECONNECTED,
    EV_TRANSPORT_STATS, EV_AUDIO_TRACK_STATS,
    EV_VOLUME_INDICATION, EV_ACTIVE_SPEAKER, /* volume_indication.c */
    EV_DTMF, /* a telephone-event of a remote user (RTP transport: a = event, b = duration ms) */
    /* video (video_delivery.c dispatches them) */
    EV_VIDEO_FRAME, EV_VIDEO_ENCODED, EV_VIDEO_PUBLISH_SUCCESS, EV_VIDEO_UNPUBLISHED,
    EV_INTRA_REQUEST, EV_FIRST_VIDEO_FRAME, EV_VIDEO_TRACK_SUBSCRIBED,
    /* delivery.c: no observer; the delivery thread marks its agora_fence done
     * once every event queued before it was delivered */
    EV_FENCE,
    /* delivery.c: a connection's direct_q has frames (the token itself, never freed here) */
    EV_AUDIO_READY,
};

/* A connection or local-user event waits for audio/video queued before it
 * (the order they happened in) at most this long: then it overtakes them. */
#define AGORA_CONTROL_BYPASS_MS 100

struct agora_event {
    agora_qnode node;
    int kind;
    agora_rtc_conn *conn;      /* holds a reference */
    char uid[AGORA_MAX_ID_LEN + 1];
    int a, b, c;
    agora_rtc_conn_info info;
    agora_audio_frame frame;   /* EV_AUDIO_FRAME: buffer points into data */
    int has_vad;
    agora_vad_result vad;      /* bytes point into data after the pcm */
    char channel_id[AGORA_MAX_ID_LEN + 1];
    agora_video_buf *video;    /* EV_VIDEO_FRAME / EV_VIDEO_ENCODED, holds a reference */
    struct agora_fence *fence; /* EV_FENCE */
    uint64_t seq;              /* svc->event_seq when made: the order things happened in */
    int64_t t_ns;              /* engine clock when made */
    size_t length;
    uint8_t data[];
};

struct agora_service {
    /* the transports connections may pick (NULL-terminated), given at create
     * by the layer above the engine (api/service_create.c): the engine never
     * names a transport */
    const agora_transport_ops *const *transports;
    pthread_mutex_t mu;        /* connection list, lifecycle */
    agora_rtc_conn *conns;
    uint64_t next_conn_id;
    int initialized;
    int releasing;
    agora_service_config cfg;
    char app_id[256];

    pthread_t clock_thread, io_thread, delivery_thread;
    atomic_uint_least64_t event_seq; /* stamps events and direct frames (delivery order) */
    atomic_int stop_clock;
    agora_workq io_q;
    agora_workq delivery_q;
    pthread_mutex_t sync_mu;   /* completion of synchronous I/O items */
    pthread_cond_t sync_cv;
    /* statistics timer (stats_timer.c) */
    pthread_t stats_thread;
    pthread_mutex_t stats_mu;
    pthread_cond_t stats_cv;   /* CLOCK_MONOTONIC */
    int stats_stop, stats_interval_ms, stats_changed; /* under stats_mu */
    /* API calls in progress on this service's connections (agora_rtc_conn_retain
     * .. unretain); release waits for them (on sync_cv) before freeing. */
    atomic_int api_refs;
    atomic_int draining;       /* release is waiting for api_refs to reach 0 */

    agora_rx_pool rx_pool;     /* receive-path jobs of the I/O thread (+ helper threads) */
    int rx_pool_ready;
    /* I/O thread wait set (created by initialize, closed by release) */
    int io_epfd;               /* epoll: io_q's eventfd, the playout timer, RTP sockets */
    int io_timerfd;            /* a transport's periodic timer (on_timer; the RTP playout) */
    /* each transport's state of this service (by AGORA_TRANSPORT_* kind), owned
     * by the transport: made on the I/O thread when first needed, freed by its
     * on_loop_exit */
    void *net[AGORA_MAX_TRANSPORTS];
};

/* service.c: a service whose connections may use `transports` (NULL-terminated). */
agora_service *agora_engine_service_new(const agora_transport_ops *const *transports);
/* The service's transport of AGORA_TRANSPORT_* kind (connection config), NULL if none. */
const agora_transport_ops *agora_service_transport(const agora_service *svc, int kind);

/* connection.c */
/* Reasons a connection processes received audio (hub_listening bits). */
#define AGORA_LISTEN_AUDIO_OBSERVER 1   /* mirrored from obs_set[OBS_AUDIO] */
#define AGORA_LISTEN_VOLUME 2           /* volume indication on */
#define AGORA_LISTEN_ENCODED 4          /* encoded-audio delivery on */
/* Tell the I/O thread that `reason` starts (on) or stops listening. */
int agora_conn_post_listen(agora_rtc_conn *c, int reason, int on);
void agora_conn_ref(agora_rtc_conn *c);
void agora_conn_unref(agora_rtc_conn *c);
void agora_conn_fill_info(agora_rtc_conn *c, agora_rtc_conn_info *out); /* caller holds c->mu */

/* io_loop.c: the I/O thread */
void *agora_io_main(void *svc);
io_item *agora_io_item_new(int kind, agora_rtc_conn *conn, size_t length);
/* Post and, when wait is set, block (nogil in Python) until processed. */
void agora_io_post(agora_service *svc, io_item *it, int wait);
/* Post, wait, and return the code the handler stored (AGORA_OK by default). */
int agora_io_call(agora_service *svc, io_item *it);
/* I/O thread helpers shared by the transports. */
void agora_io_post_event(agora_service *svc, agora_event *ev); /* to the delivery thread */
void agora_io_emit(agora_service *svc, agora_rtc_conn *to, int kind, const char *uid, int a, int b, int c);
/* Set the connection state (always) and queue a state event (when observed). */
void agora_io_emit_conn_state(agora_service *svc, agora_rtc_conn *c, int kind, int state, int reason);
int agora_io_subscribed(const agora_rtc_conn *r, const char *uid);
/* One frame of remote user `uid` heard by `to` (a listener that subscribed
 * to uid): its receive path (created on first use; first-frame events), and a
 * receive-pool job for the rest (resample, 10 ms cut, labels, VAD, and
 * EV_AUDIO_FRAME events honouring the observer's generation and speech-only
 * filter). The frame and channel_id must stay alive, and no receive path may
 * be dropped, until agora_io_run_receive_jobs() ran. Used by the hub fan-out
 * and by the RTP playout. hint: a remembered receive-path lookup of uid (NULL: none).
 * prepare (NULL: none): the job calls prepare(job, prepare_arg) first, on the thread
 * that runs it, to fill f's samples (the RTP playout decodes there). Returns 1 when a
 * job was queued, 0 when nobody hears the frame (or out of memory). */
int agora_io_deliver_audio(agora_service *svc, agora_rtc_conn *to, const char *uid,
                           const char *channel_id, const agora_sent_frame *f, agora_rx_hint *hint,
                           int (*prepare)(const agora_rx_job *job, void *arg), void *prepare_arg);
/* Run the receive jobs queued by agora_io_deliver_audio (I/O thread). */
void agora_io_run_receive_jobs(agora_service *svc);
/* uid stops being heard by `to` (left, unpublished, removed): when to's VAD
 * for uid is in speech, silence (gap frames, sent_frame.h) goes through the
 * path until its stop, delivered like any frame, so every VAD start gets its
 * stop. Call before the path is dropped (I/O thread). */
void agora_io_end_utterance(agora_service *svc, agora_rtc_conn *to, const char *uid,
                            const char *channel_id);

/* delivery.c: the delivery thread */
void *agora_delivery_main(void *svc);
/* NULL when conn has no observer for this kind of event (or on OOM). */
agora_event *agora_event_new(int kind, agora_rtc_conn *conn, size_t length);
/* The same without the observer check (the caller made it; NULL on OOM). */
agora_event *agora_event_alloc(int kind, agora_rtc_conn *conn, size_t length);
/* Block until the delivery thread has delivered every event queued before
 * this call (destroy: the last events of a connection reach its observers
 * before they are unregistered), at most AGORA_FENCE_TIMEOUT_MS: a callback
 * that waits for the caller (an application lock it holds) cannot hang the
 * release. Not on the delivery thread. AGORA_OK; AGORA_ERR_FAILED when it
 * gave up waiting, AGORA_ERR_NO_MEMORY when no fence could be queued. */
#define AGORA_FENCE_TIMEOUT_MS 2000
int agora_delivery_fence(agora_rtc_conn *c);
/* Under svc->sync_mu: done is set by the delivery thread; a waiter that gave up
 * sets abandoned and the delivery thread frees it. */
typedef struct agora_fence {
    int done;
    int abandoned;
} agora_fence;
/* connection.c: make c's direct_q (encoded 0) or encoded_q (1) and its audio token if missing. */
int agora_conn_prepare_delivery_queue(agora_rtc_conn *c, int encoded);
/* direct_q's and encoded_q's notify (arg: the conn): queue its audio token unless it is out. */
void agora_delivery_schedule_audio(void *conn);

/* stats_timer.c: the statistics timer thread (started by initialize, stopped by release) */
int agora_stats_timer_start(agora_service *svc);
void agora_stats_timer_stop(agora_service *svc);

/* audio_stats.c: IO_AUDIO_STATS on the I/O thread */
void agora_audio_stats_process(agora_service *svc, io_item *it);

/* volume_indication.c: the media clock posts due reports (svc->mu not held) */
void agora_volume_indication_tick(agora_service *svc, int64_t now_ms);

/* encoded_audio.c: I/O thread. A remote user's packet to `to` (when its
 * encoded delivery is on): pushed packets on the hub, RTP payloads. */
struct agora_encoded_packet;
void agora_encoded_audio_deliver(agora_service *svc, agora_rtc_conn *to, const char *uid,
                                 const struct agora_encoded_packet *p);
void agora_encoded_audio_deliver_payload(agora_service *svc, agora_rtc_conn *to, const char *uid,
                                         const uint8_t *payload, size_t length, int64_t capture_ms);
void agora_encoded_sender_free(struct agora_encoded_sender *s);

/* video_frames.c (push, subscriptions, fan-out) and video_delivery.c (observers) */
/* IO_VIDEO_* items (I/O thread). */
void agora_video_process(agora_service *svc, io_item *it);
/* 1 for the EV_VIDEO_* / EV_INTRA_REQUEST kinds. */
int agora_video_event(int event_kind);
/* Delivery thread: call the video observer for ev and drop its frame reference. */
void agora_video_dispatch(agora_event *ev);
/* destroy: unregister the video observers, waiting for calls in flight. */
void agora_video_conn_destroy(agora_rtc_conn *c);
/* handle_connect: video track events between c and the members of its channel. */
void agora_video_on_join(agora_service *svc, agora_rtc_conn *c);
/* conn_free: the subscription table. */
void agora_video_conn_free(agora_rtc_conn *c);
void agora_video_buf_unref(agora_video_buf *b);
/* An encoded frame buffer (one reference), data and info copied; NULL on OOM. */
agora_video_buf *agora_video_buf_new_encoded(const uint8_t *data, size_t length,
                                             const agora_encoded_video_info *info);
/* I/O thread: hand sender uid's frame b to receiver m as m subscribed to it
 * (first-frame event, observer, backlog limit); b keeps the caller's reference. */
void agora_video_deliver_remote(agora_service *svc, agora_rtc_conn *m, const char *uid,
                                const char *channel, agora_video_buf *b);
/* I/O thread: m's subscription mode (enum video_sub_mode) for uid's video. */
int agora_video_sub_mode(agora_rtc_conn *m, const char *uid);
/* Any thread: the next raw frame c encodes is a keyframe (an intra request
 * reached c's transport). */
void agora_video_request_local_keyframe(agora_rtc_conn *c);
/* I/O thread: a local-user video event (EV_INTRA_REQUEST ...) to `to`, if it observes them. */
void agora_video_emit(agora_service *svc, agora_rtc_conn *to, int kind, const char *uid);

/* media_clock.c */
void *agora_clock_main(void *svc);

#endif
