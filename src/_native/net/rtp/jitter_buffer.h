/* Adaptive jitter buffer for one remote Opus stream (internal to the
 * engine; the Janus receive path of JANUS.md: one instance per forwarded
 * SSRC, fed by the I/O thread, drained by the 10 ms playout tick whenever
 * the audio it holds does not cover the tick: audio_playout.h).
 *
 * Model
 * -----
 * - Packets are keyed by their RTP sequence number, extended past 16-bit
 *   wraps. Each packet is one frame of frame_ms (20 ms, the ptime browsers
 *   and JANUS.md use): every agora_jb_pull() plays at most one sequence
 *   number. The payload (<= AGORA_JB_MAX_PAYLOAD bytes) is copied in.
 * - Timing: for each packet, transit = arrival_ms - timestamp_ms. Over a
 *   sliding window (8 blocks of 1 s of arrivals) the buffer tracks the
 *   smallest and largest transit (their difference is the jitter span,
 *   jitter_ms). Each packet's relative delay (transit - smallest transit)
 *   goes into a histogram that forgets exponentially (time constant 1 s of
 *   stream time, NetEq-like); the target delay is its 97th percentile q
 *   + q / 4 + 10 ms (a pull runs up to a frame ahead of the audio it
 *   starts, which eats into a fixed margin when packets come late),
 *   clamped to [floor, max_delay] (defaults 20..200 ms, starting at
 *   20 ms: one packet, the floor on a clean network; the floor is one
 *   packet of the stream within [min_delay, initial_delay]: 10 ms for 10 ms
 *   packets when min_delay is 10). It grows at once: a
 *   packet that came after its turn raises it at once to cover that packet
 *   + 10 ms, and with time_stretch so does any packet above it (at a jitter
 *   onset the percentile needs a few such packets to move, each late one a
 *   concealment meanwhile). It falls towards the percentile by at most
 *   10 ms per second (100 with time_stretch, which moves the delay without
 *   dropping packets: a one-off outlier costs a few tenths of a second).
 * - Loss (config fec): the share of sequence numbers missing on arrival is
 *   tracked, forgetting with a time constant of 1 s of arrival time (so a
 *   stall lets it fall); a run of more than 3 missing numbers is an outage,
 *   not counted; a reordered, late or stale packet that comes after all
 *   takes its loss back. While it is above 2 % (until it falls below 1 %)
 *   the target is at least q + frame_ms + 10 ms: the packet after a lost
 *   one, which carries its FEC copy, is then buffered when the lost one is
 *   due, so it is rebuilt instead of concealed.
 * - Delay spikes: a packet whose transit is more than 120 ms above the
 *   window's largest starts a spike (an upstream stall, e.g. a frozen Janus,
 *   released as a burst of old packets); the spike lasts while transits stay
 *   above that largest one. Spike packets never enter the window (a one-off
 *   stall does not raise the target), and those that arrive with a delay
 *   above target + 20 ms are stale: dropped at once with the older packets
 *   still buffered (counted dropped and stale, or late and stale when their
 *   turn had passed), play going on after them at the target delay. A spike
 *   lasting 500 ms of arrivals is a new path delay instead: the window
 *   restarts from its packets.
 * - The current delay of the next packet to play is
 *       C = now_ms - timestamp_ms - min_transit,
 *   i.e. how long after its earliest possible arrival it is played. A pull
 *   keeps C in [target - 10, target + 20]. Without time_stretch: below, it
 *   inserts one concealment frame instead of playing (delay growth); above
 *   for 25 pulls in a row (500 ms), or above target + 80 at any time, it
 *   drops one buffered packet (delay shrink; only when the packet after it
 *   is there). With time_stretch (the caller time-stretches decoded audio,
 *   audio/dsp/time_stretch.h): more than 5 ms below the target, the packet plays flagged
 *   AGORA_JB_EXPAND (lengthen it by a pitch period: the caller's next pulls
 *   come later); above for 2 pulls in a row, it plays flagged
 *   AGORA_JB_ACCELERATE (more than 20 ms above; ACCELERATE_QUIET between
 *   10 and 20 ms above: only in a pause, so speech keeps its timing for a
 *   small excess) when the packet after it is buffered or the caller
 *   holds 5 ms or more of audio (the caller shortens its audio by a pitch
 *   period, after pulling the next packet at once when it is buffered:
 *   agora_jb_peek_next);
 *   only above target + 120 does it drop a packet. Pulls need not follow
 *   the frame_ms grid then: a caller with decoded audio left skips one,
 *   and tells the buffer how much it holds (agora_jb_set_pending_audio),
 *   which counts in C; accelerate starts above target + 10 then.
 * - Loss: when the next sequence number is missing but a later one is
 *   buffered, the pull gives it up (AGORA_JB_LOST, seq_lost = 1) and, when
 *   the packet right after it is buffered, offers that packet's payload for
 *   Opus in-band FEC (fec_payload). If C is already above target + 20,
 *   missing packets are skipped without a concealment frame (catch-up after
 *   a stall). A packet arriving after its sequence number was played, given
 *   up or skipped is counted late and dropped; a second copy of a buffered
 *   or played packet is counted as a duplicate and dropped.
 * - Underrun (nothing buffered while playing): AGORA_JB_LOST frames with
 *   seq_lost = 0 (PLC) without giving the sequence number up, so a merely
 *   delayed packet still plays when it arrives; after 5 such frames in a
 *   row (100 ms) the buffer goes back to buffering (AGORA_JB_EMPTY:
 *   silence, the sender paused, e.g. DTX or mute). A sender that says so
 *   (a keepalive right after its talk spurt's last packet, agora_jb_skip)
 *   is not concealed at all: the buffer runs dry at that number and goes
 *   back to buffering at once. So is a sender that stops without a word
 *   (silence suppression, DTX; RFC 3551 4.1: its next talk spurt starts with
 *   the marker bit and a timestamp jump, the sequence number going on by
 *   one), when the caller says its last packet decoded to quiet audio
 *   (agora_jb_set_quiet_tail: such senders stop after their VAD heard
 *   silence for a while): running dry then is silence, no number is given
 *   up, and play starts again as after a pause. When the next packet comes,
 *   its timestamp tells: past where it would be had the sender gone on, a
 *   pause; else it was only late (or lost: up to 3 numbers missing before it
 *   are given up one a pull, with FEC, as in play), play goes on at once, and
 *   the silence counts as the underrun concealment it replaced
 *   (silent_underruns: a frame per packet duration, at most 5). A packet that starts a talk spurt
 *   (marker) is not taken as the packet duration. Playback starts once the
 *   earliest buffered packet has C >= target (the first start) or
 *   C >= target - 10 (after a pause: the window knows the jitter, and over
 *   the pull grid the delay then averages the target); sequence numbers
 *   missing between the last one played and it then count as lost.
 * - Forward jumps need confirmation: play (re)starts past more than 3
 *   missing sequence numbers, and a catch-up skips more than 3 at once, only
 *   towards a packet the stream's next one (buffered after it) confirms; a
 *   keepalive more than 3 numbers ahead is consumed only when the stream's
 *   next keepalive follows it (agora_jb_skip). A stray or forged packet
 *   (without SRTP, anyone who knows the SSRC can send one) thus cannot move
 *   the timeline past the real packets and have them dropped as late.
 * - Stream restart: a packet with another SSRC restarts the stream at once.
 *   A packet more than 31 sequence numbers ahead of, or more than 100
 *   behind, the next one to play is held (one slot) as a possible restart;
 *   a following packet within 31 numbers after it (and within 1 s) confirms
 *   the restart (both are kept), otherwise the held packet is discarded
 *   (counted invalid). A restart flushes the buffer, forgets the timing
 *   window (keeps the target delay) and flags the first packet played
 *   afterwards with `restart` (reset the Opus decoder).
 * - Timestamp jumps: a packet whose timestamp step disagrees by more than
 *   1 s with both its arrival-time step and its sequence step (sender
 *   rebased its RTP clock) is re-anchored so that its transit equals the
 *   previous packet's; a timestamp gap that matches the arrival gap (a
 *   pause) is kept as it is.
 *
 * Invariants. Between two restarts: every extended sequence number from the
 * first one played to the last one consumed is counted exactly once in
 * played + lost + dropped. Always: every packet agora_jb_insert took (it did
 * not return AGORA_ERR_INVALID_ARGUMENT; oversize ones included) is counted
 * exactly once in
 * played + late + duplicates + dropped + invalid + flushed + buffered.
 *
 * Threading and memory: one owner thread (or external serialisation), no
 * locks, no globals; all memory (about 54 KB) is allocated at create, the
 * insert and pull paths never allocate. Times are the caller's monotonic
 * clock in milliseconds; insert and pull must use the same clock. */
#ifndef AGORA_RTC_JITTER_BUFFER_H
#define AGORA_RTC_JITTER_BUFFER_H

#include <stddef.h>
#include <stdint.h>

#define AGORA_JB_CAPACITY 32       /* packets (640 ms at 20 ms): power of 2 */
#define AGORA_JB_MAX_PAYLOAD 1500  /* bytes per packet */

typedef struct agora_jb agora_jb;

typedef struct agora_jb_config {
    int clock_rate;       /* RTP clock, Hz (48000 for Opus) */
    int frame_ms;         /* packet duration = pull period (20) */
    int initial_delay_ms; /* starting target (20) */
    int min_delay_ms;     /* lower bound of the target (20); the floor is one packet
                             of the stream within [min_delay_ms, initial_delay_ms] */
    int max_delay_ms;     /* upper bound of the target (200) */
    int time_stretch;     /* 1: move the delay by stretch requests (frame.stretch),
                             0: by concealment frames and dropped packets (0) */
    int fec;              /* 1: the decoder rebuilds a lost packet from the next one
                             (Opus in-band FEC): under loss the target keeps that
                             next packet buffered (0) */
} agora_jb_config;

/* Result kinds of agora_jb_pull (and frame.kind). */
enum agora_jb_kind {
    AGORA_JB_EMPTY = 0,  /* nothing to play: buffering (output silence) */
    AGORA_JB_PACKET = 1, /* frame.payload holds the packet to decode */
    AGORA_JB_LOST = 2,   /* conceal one frame: decode FEC from
                            frame.fec_payload when not NULL, else PLC */
};

/* Time-stretch requests of a PACKET (frame.stretch; config time_stretch only). */
enum agora_jb_stretch {
    AGORA_JB_STRETCH_NONE = 0,
    AGORA_JB_ACCELERATE = 1, /* shorten the audio (pull the next packet at once if buffered) */
    AGORA_JB_EXPAND = 2,     /* lengthen this packet's audio (grow the delay) */
    AGORA_JB_ACCELERATE_QUIET = 3, /* as ACCELERATE, if the audio is quiet (a pause): the
                                      delay is only a little above the target */
};

/* Dispositions returned by agora_jb_insert (>= 0). */
enum agora_jb_insert_result {
    AGORA_JB_INSERTED = 0,
    AGORA_JB_DUPLICATE = 1, /* dropped: already buffered or played */
    AGORA_JB_LATE = 2,      /* dropped: its turn has passed */
    AGORA_JB_HELD = 3,      /* held as a possible stream restart */
    AGORA_JB_RESYNCED = 4,  /* stream restarted with this packet */
    AGORA_JB_STALE = 5,     /* dropped: a delay spike's packet, too old to play */
};

typedef struct agora_jb_frame {
    int kind;        /* enum agora_jb_kind */
    int seq_lost;    /* LOST: 1 = sequence number `seq` was given up,
                        0 = extra concealment frame (underrun / delay growth) */
    int restart;     /* PACKET: first packet of a new stream: reset the decoder */
    int marker;      /* PACKET: RTP marker bit */
    int stretch;     /* PACKET: enum agora_jb_stretch */
    uint16_t seq;    /* PACKET: its seq; LOST: the seq played next (given up
                        when seq_lost) */
    uint32_t timestamp; /* PACKET: its timestamp; LOST: estimated */
    const uint8_t *payload;     /* PACKET only */
    size_t payload_len;
    const uint8_t *fec_payload; /* LOST: the next packet, for Opus FEC */
    size_t fec_payload_len;
} agora_jb_frame;

typedef struct agora_jb_stats {
    uint64_t received;   /* packets accepted into the buffer */
    uint64_t duplicates; /* dropped copies */
    uint64_t late;       /* dropped, arrived after their turn */
    uint64_t lost;       /* sequence numbers given up (LOST with seq_lost,
                            or skipped in a catch-up / at a restart of play) */
    uint64_t concealed;  /* LOST results and silent_underruns (= lost frames + underruns
                            + stretched) */
    uint64_t fec_offered;/* LOST results with a fec_payload */
    uint64_t played;     /* PACKET results */
    uint64_t dropped;    /* packets discarded to shrink the delay (buffered ones, stale ones) */
    uint64_t underruns;  /* concealment frames because nothing was buffered */
    uint64_t silent_underruns; /* of underruns (and concealed): frames of silence that stood
                                  in for late packets, taken for a pause (quiet_pauses) at
                                  first; not LOST results */
    uint64_t quiet_pauses; /* runs dry after quiet audio, taken for the sender's pause */
    uint64_t stretched;  /* concealment frames inserted to grow the delay */
    uint64_t shrunk;     /* of dropped: buffered packets dropped to shrink the delay */
    uint64_t resyncs;    /* stream restarts (SSRC change, confirmed jump) */
    uint64_t ts_jumps;   /* timestamp discontinuities re-anchored */
    uint64_t invalid;    /* oversize payloads, unconfirmed held packets */
    uint64_t flushed;    /* buffered or held packets discarded by a restart or reset */
    uint64_t stale;      /* of late + dropped: delay-spike packets discarded on arrival */
    uint64_t spikes;     /* delay spikes seen */
    uint64_t skipped;    /* keepalive sequence numbers consumed (agora_jb_skip) */
    uint64_t accelerate_requests; /* PACKETs flagged AGORA_JB_ACCELERATE */
    uint64_t expand_requests;     /* PACKETs flagged AGORA_JB_EXPAND */
    uint64_t wait_ms_sum; /* over PACKET results: ms from the packet's arrival to its pull,
                             plus the caller's pending audio (WebRTC's jitterBufferDelay) */
    int current_delay_ms;/* C of the last packet played */
    int target_delay_ms;
    int jitter_ms;       /* transit span over the window */
    int buffered;        /* packets in the buffer now (a held one included) */
} agora_jb_stats;

/* Fill *cfg with the defaults: 48000 Hz, 20 ms, 20 ms initial, 20..200 ms,
 * no time_stretch. */
void agora_jb_config_default(agora_jb_config *cfg);

/* cfg NULL = defaults. Invalid config (clock_rate 8000..192000, frame_ms
 * 10..120, 0 < min <= initial <= max <= 1000 ms): NULL. NULL when out of memory. */
agora_jb *agora_jb_create(const agora_jb_config *cfg);
/* NULL is a no-op. */
void agora_jb_destroy(agora_jb *jb);
/* Forget the stream (next packet starts a new one); stats are kept. */
void agora_jb_reset(agora_jb *jb);

/* Insert one RTP packet (fields from agora_rtp_parse) that arrived at
 * arrival_ms. The payload is copied. Returns an enum agora_jb_insert_result
 * (>= 0), AGORA_ERR_INVALID_ARGUMENT (jb NULL, payload NULL with len > 0)
 * or AGORA_ERR_TOO_LARGE (len > AGORA_JB_MAX_PAYLOAD, counted invalid). */
int agora_jb_insert(agora_jb *jb, uint32_t ssrc, uint16_t seq, uint32_t timestamp, int marker,
                    const uint8_t *payload, size_t len, int64_t arrival_ms);

/* A sequence number the sender used for no audio: an RTP keepalive (a
 * padding-only packet, RFC 3550 5.1) sent while it has nothing to say. When
 * nothing is buffered it ends any underrun at once (the sender paused) and
 * consumes this sequence number and the missing ones before it (counted
 * lost: packets that never came), so the next talk spurt starts without a
 * loss. A keepalive more than 3 numbers ahead is remembered, not consumed:
 * the stream's next keepalive within 31 numbers after it confirms the jump
 * (both are consumed then). Returns 1 when consumed, 0 when ignored (another
 * SSRC, no stream, an old sequence number, a jump not confirmed yet), or
 * AGORA_ERR_INVALID_ARGUMENT (jb NULL). While packets are buffered (or all
 * have just played, no underrun frame yet), only a keepalive right after the
 * newest one (up to 3 numbers missing between: lost packets) is taken
 * (returns 1): the sender's talk spurt ends there, so
 * when play reaches it the buffer conceals the missing ones (given up, as
 * lost), consumes its number and goes back to buffering without underrun
 * frames (a packet of that number arriving after all cancels it); others
 * are ignored (0). */
int agora_jb_skip(agora_jb *jb, uint32_t ssrc, uint16_t seq);

/* Call once per frame_ms tick of the playout clock. Fills *out and returns
 * out->kind (or AGORA_ERR_INVALID_ARGUMENT). The payload pointers point
 * into the buffer and stay valid until the next call of any agora_jb_*
 * function on jb. */
int agora_jb_pull(agora_jb *jb, int64_t now_ms, agora_jb_frame *out);

/* The packet the next pull would play (the one after a LOST frame just
 * returned): 1 and its payload when buffered, 0 otherwise. Same lifetime
 * rule as pull. */
int agora_jb_peek_next(const agora_jb *jb, const uint8_t **payload, size_t *len);

/* time_stretch mode: the caller holds `ms` of decoded audio not played yet
 * (counted in the current delay of the next pulls). Ignored otherwise, and
 * outside 0..1000 ms (taken as 0). */
void agora_jb_set_pending_audio(agora_jb *jb, double ms);

/* Whether the caller's last packet decoded to quiet audio (1) or not (0, the
 * default). Running dry right after quiet audio is then the sender's pause
 * (silence suppression, DTX: RFC 3551 4.1), not an underrun; see the model. */
void agora_jb_set_quiet_tail(agora_jb *jb, int quiet);

void agora_jb_get_stats(const agora_jb *jb, agora_jb_stats *out);

#endif
