/* Adaptive jitter buffer: see jitter_buffer.h for the model.
 *
 * Data layout: a ring of AGORA_JB_CAPACITY slots indexed by the extended
 * sequence number modulo the capacity. Invariant: every FILLED slot holds an
 * extended sequence number in [next_seq, next_seq + CAPACITY), so one index
 * never maps to two live packets. Slots that were consumed keep their
 * sequence number (PLAYED or GONE) so that a copy arriving later is told
 * apart as a duplicate (PLAYED) or a late packet (GONE).
 *
 * Time: each packet gets a "virtual timestamp" vts (int64 RTP ticks) that
 * unwraps the 32-bit timestamp against a reference packet (the highest
 * sequence number so far) and absorbs timestamp rebases; transit and the
 * current delay are computed in milliseconds (double) from it. */
#include "net/rtp/jitter_buffer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agora_rtc/errors.h"

#define CAP AGORA_JB_CAPACITY
#define MASK (AGORA_JB_CAPACITY - 1)
#define WINDOW_BLOCKS 8       /* transit window: 8 blocks ... */
#define BLOCK_MS 1000         /* ... of 1 s of arrivals */
#define MARGIN_MS 10.0        /* target = delay quantile + margin ... */
#define JITTER_MARGIN 0.25    /* ... + this share of the quantile (a pull runs up to a frame
                                 ahead of the audio it starts, eating into the margin) */
#define HIST_BUCKET_MS 2.0    /* relative delay histogram: buckets of 2 ms ... */
#define HIST_BUCKETS 500      /* ... up to 1 s (larger delays count in the last one) */
#define HIST_QUANTILE 0.97    /* the target covers this share of the packets */
#define HIST_TAU_MS 1000.0    /* the histogram forgets with this time constant (of stream time) */
#define HIST_RENORM 1e12      /* rescale the histogram when the next weight exceeds this */
#define DECAY_MS_PER_S 10.0   /* the target falls at most this fast towards the quantile ... */
#define STRETCH_DECAY_MS_PER_S 100.0 /* ... or this fast in stretch mode (no packet is dropped) */
#define ACCEL_SUSTAIN 2       /* stretch mode: accelerate after this many pulls ... */
#define ACCEL_BAND_MS 10.0    /* ... more than this above the target */
#define ACCEL_MIN_PENDING_MS 5.0 /* the caller's audio that makes an accelerate possible alone */
#define STRETCH_FAST_SHRINK_MS 120.0 /* stretch mode: drop a packet only this far above target */
#define LOW_BAND_MS 10.0      /* stretch when C < target - LOW_BAND ... */
#define EXPAND_BAND_MS 5.0    /* ... or, in stretch mode, expand when C < target - EXPAND_BAND */
#define HIGH_BAND_MS 20.0     /* shrink when C > target + HIGH_BAND ... */
#define SHRINK_SUSTAIN 25     /* ... for this many pulls in a row */
#define FAST_SHRINK_MS 80.0   /* or at once when C > target + FAST_SHRINK */
#define MAX_UNDERRUN 5        /* concealment frames before re-buffering */
#define MAX_MISORDER 100      /* further behind than this: possible restart */
#define MAX_JUMP 3            /* skipping more missing numbers at once needs confirmation */
#define HOLD_CONFIRM_MS 1000  /* a held packet must be confirmed within this */
#define TS_JUMP_MS 1000.0     /* timestamp discontinuity threshold */
#define SPIKE_MS 120.0        /* transit this far above the window's largest: a delay spike */
#define SPIKE_MAX_MS 500      /* a spike lasting this long (arrival time) is a new path delay */
#define LOSS_TAU_MS 1000.0    /* the loss rate forgets with this time constant (of stream time) */
#define LOSS_RUN_MAX 3        /* a longer run of missing numbers is an outage, not loss */
#define LOSS_ON 0.02          /* fec: above this loss rate the target keeps one packet more ... */
#define LOSS_OFF 0.01         /* ... until it falls below this */

typedef char jb_capacity_is_power_of_two[(CAP & (CAP - 1)) == 0 && CAP >= 4 ? 1 : -1];

enum slot_state { SLOT_EMPTY = 0, SLOT_FILLED, SLOT_PLAYED, SLOT_GONE };
enum jb_state { ST_BUFFERING = 0, ST_PLAYING };

typedef struct jb_slot {
    int64_t seq; /* extended */
    int64_t vts; /* virtual timestamp, RTP ticks */
    int64_t arrival_ms;
    uint32_t ts; /* wire timestamp */
    uint16_t len;
    uint8_t state;
    uint8_t marker;
    uint8_t data[AGORA_JB_MAX_PAYLOAD];
} jb_slot;

struct agora_jb {
    agora_jb_config cfg;
    double ticks_per_ms;
    int64_t default_frame_ticks;

    int have_stream;
    uint32_t ssrc;
    int state;
    int started;        /* played something since the last (re)start */
    int restart_flag;   /* flag the next played packet */
    int64_t next_seq;   /* extended seq the next pull plays */
    int64_t highest;    /* highest extended seq stored since the (re)start */
    int count;          /* FILLED slots */

    /* reference packet for vts (the highest seq seen) */
    int have_ref;
    int64_t ref_seq;
    int64_t ref_vts;
    int64_t ref_arrival;
    uint32_t ref_ts;
    int64_t frame_ticks; /* estimated packet duration */

    /* last consumed sequence number (played or given up) */
    int have_last;
    int64_t last_seq;
    int64_t last_vts;
    uint32_t last_ts;

    /* transit window */
    int have_window;
    int blk_cur;
    int64_t blk_start_ms;
    int blk_valid[WINDOW_BLOCKS];
    double blk_min[WINDOW_BLOCKS];
    double blk_max[WINDOW_BLOCKS];
    double min_transit;
    double max_transit;
    double target_ms;

    /* relative delay histogram (transit - min_transit), exponentially forgetting:
     * each packet adds hist_weight, which grows by 1/forget per packet, so older
     * packets weigh less (rescaled before it overflows) */
    double hist[HIST_BUCKETS];
    double hist_total;
    double hist_weight;
    int64_t decay_ms; /* arrival time the target last decayed at */

    /* delay spike (a stall upstream released as a burst): its packets stay out of
     * the window, so the target does not grow for it, and the stale ones are dropped */
    int spike_active;
    int64_t spike_start_ms; /* arrival time of the spike's first packet */

    /* loss rate: the share of sequence numbers missing on arrival, forgetting */
    int have_loss_seq;
    int64_t loss_seq;  /* the newest extended seq that arrived */
    int64_t loss_ms;   /* the latest arrival time the rate was updated at */
    double loss_rate;
    int loss_active;   /* fec: the target keeps the packet after a loss buffered */

    double pending_ms; /* stretch mode: decoded audio the caller has not played yet */
    /* the caller's last packet decoded to quiet audio (agora_jb_set_quiet_tail): running
     * dry after it is taken for the sender's pause (silence suppression, DTX) */
    int quiet_tail;
    int quiet_pause;        /* ran dry after quiet audio: silence until the next packet */
    int64_t quiet_pause_ms; /* when it ran dry */
    int underrun_run; /* consecutive underrun concealments */
    int over_run;     /* consecutive pulls above the high band */

    /* a keepalive more than MAX_JUMP numbers ahead, not consumed until confirmed */
    int pending_skip_valid;
    int64_t pending_skip; /* its extended seq */

    /* a keepalive right after the newest buffered packet: the sender paused there
     * (its talk spurt ended), so the buffer running dry at it is not an underrun */
    int pause_valid;
    int64_t pause_seq; /* its extended seq */

    /* packet held as a possible restart */
    int held_valid;
    uint16_t held_seq;
    uint32_t held_ts;
    uint32_t held_ssrc;
    int held_marker;
    int64_t held_arrival;
    uint16_t held_len;
    uint8_t held_data[AGORA_JB_MAX_PAYLOAD];

    agora_jb_stats st;
    jb_slot slots[CAP];
};

/* ----------------------------------------------------------- helpers */

/* signed distance a - b of two 16-bit sequence numbers, in -32768..32767 */
static int32_t seq_diff(uint16_t a, uint16_t b)
{
    int32_t d = (int32_t)((uint32_t)(a - b) & 0xFFFFu);
    return d >= 32768 ? d - 65536 : d;
}

/* signed distance a - b of two 32-bit timestamps */
static int64_t ts_diff(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    return (d & 0x80000000u) ? -(int64_t)(uint32_t)(0u - d) : (int64_t)d;
}

static jb_slot *slot_of(agora_jb *jb, int64_t ext) { return &jb->slots[(uint64_t)ext & MASK]; }

static const jb_slot *cslot_of(const agora_jb *jb, int64_t ext)
{
    return &jb->slots[(uint64_t)ext & MASK];
}

static int is_filled(const agora_jb *jb, int64_t ext)
{
    const jb_slot *s = cslot_of(jb, ext);
    return s->state == SLOT_FILLED && s->seq == ext;
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* The stream's packet duration (ms) as measured. */
static double frame_duration_ms(const agora_jb *jb)
{
    return (double)jb->frame_ticks / jb->ticks_per_ms;
}

void agora_jb_config_default(agora_jb_config *cfg)
{
    if (!cfg)
        return;
    cfg->clock_rate = 48000;
    cfg->frame_ms = 20;
    cfg->initial_delay_ms = 20;
    cfg->min_delay_ms = 20;
    cfg->max_delay_ms = 200;
    cfg->time_stretch = 0;
    cfg->fec = 0;
}

/* Forget the stream's packets and timing (not the target, not the stats). */
static void flush_stream(agora_jb *jb)
{
    /* buffered and held packets are discarded: counted, so that every
     * inserted packet ends in exactly one counter */
    jb->st.flushed += (uint64_t)jb->count + (jb->held_valid ? 1u : 0u);
    for (int i = 0; i < CAP; i++) {
        jb->slots[i].state = SLOT_EMPTY;
        jb->slots[i].seq = 0;
    }
    jb->count = 0;
    jb->have_stream = 0;
    jb->state = ST_BUFFERING;
    jb->started = 0;
    jb->have_ref = 0;
    jb->have_last = 0;
    jb->have_window = 0;
    jb->frame_ticks = jb->default_frame_ticks;
    jb->underrun_run = 0;
    jb->over_run = 0;
    jb->held_valid = 0;
    jb->pending_skip_valid = 0;
    jb->pause_valid = 0;
    jb->quiet_pause = 0;
    jb->spike_active = 0;
    jb->have_loss_seq = 0;
}

/* Begin a stream whose first packet has sequence number seq. */
static void begin_stream(agora_jb *jb, uint32_t ssrc, uint16_t seq)
{
    flush_stream(jb);
    jb->have_stream = 1;
    jb->ssrc = ssrc;
    jb->next_seq = seq;
    jb->highest = (int64_t)seq - 1;
    jb->restart_flag = 1;
}

agora_jb *agora_jb_create(const agora_jb_config *cfg)
{
    agora_jb_config c;
    if (cfg)
        c = *cfg;
    else
        agora_jb_config_default(&c);
    if (c.clock_rate < 8000 || c.clock_rate > 192000 || c.frame_ms < 10 || c.frame_ms > 120 ||
        c.min_delay_ms <= 0 || c.min_delay_ms > c.initial_delay_ms ||
        c.initial_delay_ms > c.max_delay_ms || c.max_delay_ms > 1000)
        return NULL;
    agora_jb *jb = calloc(1, sizeof(*jb));
    if (!jb)
        return NULL;
    jb->cfg = c;
    jb->ticks_per_ms = c.clock_rate / 1000.0;
    jb->default_frame_ticks = (int64_t)c.clock_rate * c.frame_ms / 1000;
    jb->target_ms = c.initial_delay_ms;
    flush_stream(jb);
    return jb;
}

void agora_jb_destroy(agora_jb *jb) { free(jb); }

void agora_jb_reset(agora_jb *jb)
{
    if (!jb)
        return;
    flush_stream(jb);
}

/* --------------------------------------------------------- timing */

static void window_recompute(agora_jb *jb)
{
    double mn = 0, mx = 0;
    int any = 0;
    for (int i = 0; i < WINDOW_BLOCKS; i++) {
        if (!jb->blk_valid[i])
            continue;
        if (!any || jb->blk_min[i] < mn)
            mn = jb->blk_min[i];
        if (!any || jb->blk_max[i] > mx)
            mx = jb->blk_max[i];
        any = 1;
    }
    jb->min_transit = mn;
    jb->max_transit = mx;
}

static void hist_reset(agora_jb *jb)
{
    memset(jb->hist, 0, sizeof(jb->hist));
    jb->hist_total = 0;
    jb->hist_weight = 1;
}

/* Count one packet's relative delay (ms) in the forgetting histogram. */
static void hist_add(agora_jb *jb, double rel_ms)
{
    int b = rel_ms <= 0 ? 0 : (int)(rel_ms / HIST_BUCKET_MS);
    if (b >= HIST_BUCKETS)
        b = HIST_BUCKETS - 1;
    jb->hist_weight /= exp(-frame_duration_ms(jb) / HIST_TAU_MS);
    jb->hist[b] += jb->hist_weight;
    jb->hist_total += jb->hist_weight;
    if (jb->hist_weight > HIST_RENORM) {
        double k = 1.0 / jb->hist_weight;
        for (int i = 0; i < HIST_BUCKETS; i++)
            jb->hist[i] *= k;
        jb->hist_total *= k;
        jb->hist_weight = 1;
    }
}

/* The relative delay (ms, a bucket's upper edge) HIST_QUANTILE of the packets kept within. */
static double hist_quantile(const agora_jb *jb)
{
    double want = jb->hist_total * HIST_QUANTILE, sum = 0;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        sum += jb->hist[i];
        if (sum >= want)
            return (i + 1) * HIST_BUCKET_MS;
    }
    return HIST_BUCKETS * HIST_BUCKET_MS;
}

/* The target's floor: one packet of the stream (its measured duration), no
 * lower than min_delay_ms and no higher than initial_delay_ms. */
static double target_floor(const agora_jb *jb)
{
    return clampd(frame_duration_ms(jb), jb->cfg.min_delay_ms, jb->cfg.initial_delay_ms);
}

static double clamp_target(const agora_jb *jb, double t)
{
    return clampd(t, target_floor(jb), jb->cfg.max_delay_ms);
}

/* Packet ext arrived at arrival_ms (in time or not): the loss rate forgets with
 * the time since the last arrival (LOSS_TAU_MS: a steady stream's packet weighs
 * one frame's share, and a stall, which loses nothing, lets it fall too); the
 * numbers missing before ext since the newest one count as lost (not a run of more
 * than LOSS_RUN_MAX: an outage is not the random loss FEC repairs); an older one
 * that comes after all takes its loss back. */
static void loss_note_arrival(agora_jb *jb, int64_t ext, int64_t arrival_ms)
{
    double a = 1.0 - exp(-frame_duration_ms(jb) / LOSS_TAU_MS); /* one number's weight */
    if (jb->have_loss_seq && arrival_ms > jb->loss_ms)
        jb->loss_rate *= exp(-(double)(arrival_ms - jb->loss_ms) / LOSS_TAU_MS);
    if (!jb->have_loss_seq || arrival_ms > jb->loss_ms)
        jb->loss_ms = arrival_ms;
    if (!jb->have_loss_seq || ext > jb->loss_seq) {
        int64_t run = jb->have_loss_seq ? ext - jb->loss_seq - 1 : 0;
        if (run > LOSS_RUN_MAX)
            run = 0;
        for (int64_t i = 0; i < run; i++)
            jb->loss_rate += a * (1.0 - jb->loss_rate);
        jb->have_loss_seq = 1;
        jb->loss_seq = ext;
    } else {
        jb->loss_rate = jb->loss_rate > a ? jb->loss_rate - a : 0.0;
    }
    if (jb->loss_rate > LOSS_ON)
        jb->loss_active = 1;
    else if (jb->loss_rate < LOSS_OFF)
        jb->loss_active = 0;
}

/* The target for relative delay quantile q: q and a margin that grows with it; with
 * FEC under loss at least a packet more than q (the next packet, with the lost one's
 * FEC copy, must be there when the lost one is due). */
static double target_for(const agora_jb *jb, double q)
{
    double t = q * (1.0 + JITTER_MARGIN) + MARGIN_MS;
    if (jb->cfg.fec && jb->loss_active && t < q + frame_duration_ms(jb) + MARGIN_MS)
        t = q + frame_duration_ms(jb) + MARGIN_MS;
    return t;
}

/* Account one packet's transit (ms) at arrival_ms; adapt the target: the
 * HIST_QUANTILE of the forgetting histogram of relative delays plus a margin
 * (and a packet more under loss with FEC). It grows at once (and at once to
 * cover a packet that came after its turn, or with time_stretch any packet
 * above it); it falls towards the quantile at most DECAY_MS_PER_S
 * (STRETCH_DECAY_MS_PER_S with time_stretch). */
static void window_add(agora_jb *jb, double transit, int64_t arrival_ms, int late)
{
    if (!jb->have_window) {
        memset(jb->blk_valid, 0, sizeof(jb->blk_valid));
        jb->blk_cur = 0;
        jb->blk_start_ms = arrival_ms;
        jb->have_window = 1;
        jb->decay_ms = arrival_ms;
        hist_reset(jb);
    }
    int64_t age = arrival_ms - jb->blk_start_ms;
    if (age >= BLOCK_MS) {
        /* open a new block; a long silence expires several (all at most) */
        int64_t steps = age / BLOCK_MS;
        if (steps > WINDOW_BLOCKS)
            steps = WINDOW_BLOCKS;
        for (int64_t i = 0; i < steps; i++) {
            jb->blk_cur = (jb->blk_cur + 1) % WINDOW_BLOCKS;
            jb->blk_valid[jb->blk_cur] = 0;
        }
        jb->blk_start_ms = arrival_ms;
    }
    int b = jb->blk_cur;
    if (!jb->blk_valid[b]) {
        jb->blk_valid[b] = 1;
        jb->blk_min[b] = transit;
        jb->blk_max[b] = transit;
    } else {
        if (transit < jb->blk_min[b])
            jb->blk_min[b] = transit;
        if (transit > jb->blk_max[b])
            jb->blk_max[b] = transit;
    }
    window_recompute(jb);
    double rel = transit - jb->min_transit;
    hist_add(jb, rel);
    double want = clamp_target(jb, target_for(jb, hist_quantile(jb)));
    /* a packet the target did not cover raises it at once (a late one always; in stretch
     * mode any: the quantile needs a few such packets to move, and at a jitter onset each
     * packet late meanwhile is a concealment; the decay takes a one-off back within 0.5 s) */
    if ((late || jb->cfg.time_stretch) && clamp_target(jb, rel + MARGIN_MS) > want)
        want = clamp_target(jb, rel + MARGIN_MS);
    if (want >= jb->target_ms) {
        jb->target_ms = want; /* grow at once */
    } else if (arrival_ms > jb->decay_ms) {
        double rate = jb->cfg.time_stretch ? STRETCH_DECAY_MS_PER_S : DECAY_MS_PER_S;
        double floor_t = jb->target_ms - rate * (double)(arrival_ms - jb->decay_ms) / 1000.0;
        jb->target_ms = want > floor_t ? want : floor_t;
    }
    jb->decay_ms = arrival_ms;
}

/* Virtual timestamp of a packet (ext seq, wire ts) arriving at arrival_ms;
 * moves the reference forward when the packet is the newest. */
static int64_t compute_vts(agora_jb *jb, int64_t ext, uint32_t ts, int marker, int64_t arrival_ms)
{
    if (!jb->have_ref) {
        jb->have_ref = 1;
        jb->ref_seq = ext;
        jb->ref_ts = ts;
        jb->ref_vts = 0;
        jb->ref_arrival = arrival_ms;
        return 0;
    }
    int64_t dseq = ext - jb->ref_seq;
    int64_t dts = ts_diff(ts, jb->ref_ts);
    double tpm = jb->ticks_per_ms;
    int64_t vts;
    if (dseq > 0) {
        double ts_ms = (double)dts / tpm;
        double arr_ms = (double)(arrival_ms - jb->ref_arrival);
        double seq_ms = (double)dseq * (double)jb->frame_ticks / tpm;
        if (fabs(ts_ms - arr_ms) > TS_JUMP_MS && fabs(ts_ms - seq_ms) > TS_JUMP_MS) {
            /* rebased RTP clock: keep the reference packet's transit */
            vts = jb->ref_vts + (int64_t)llround(arr_ms * tpm);
            jb->st.ts_jumps++;
        } else {
            vts = jb->ref_vts + dts;
            /* the step to the next packet is its duration, unless it starts a talk spurt
             * (marker: the step holds the sender's pause too) */
            if (dseq == 1 && !marker && dts > 0 && dts <= (int64_t)(120 * tpm))
                jb->frame_ticks = dts;
        }
        jb->ref_seq = ext;
        jb->ref_ts = ts;
        jb->ref_vts = vts;
        jb->ref_arrival = arrival_ms;
    } else {
        /* older than the reference (reordered, late, or a copy) */
        int64_t by_seq = dseq * jb->frame_ticks;
        if (fabs((double)(dts - by_seq) / tpm) > TS_JUMP_MS)
            vts = jb->ref_vts + by_seq;
        else
            vts = jb->ref_vts + dts;
    }
    return vts;
}

static double transit_of(const agora_jb *jb, int64_t vts, int64_t arrival_ms)
{
    return (double)arrival_ms - (double)vts / jb->ticks_per_ms;
}

/* --------------------------------------------------------- insert */

/* Put a packet whose virtual timestamp is vts in its slot; its transit
 * enters the timing window unless it belongs to a delay spike. */
static void store_vts(agora_jb *jb, int64_t ext, int64_t vts, uint32_t ts, int marker,
                      const uint8_t *payload, size_t len, int64_t arrival_ms, int timed)
{
    jb_slot *s = slot_of(jb, ext);
    if (s->state == SLOT_FILLED) /* cannot happen (invariant); keep the count right */
        jb->count--;
    s->seq = ext;
    s->vts = vts;
    s->ts = ts;
    s->arrival_ms = arrival_ms;
    s->marker = marker ? 1 : 0;
    s->len = (uint16_t)len;
    if (len)
        memcpy(s->data, payload, len);
    s->state = SLOT_FILLED;
    jb->count++;
    if (ext > jb->highest)
        jb->highest = ext;
    if (jb->pause_valid && ext == jb->pause_seq)
        jb->pause_valid = 0; /* a packet of that number after all: it plays */
    jb->st.received++;
    loss_note_arrival(jb, ext, arrival_ms);
    if (timed)
        window_add(jb, transit_of(jb, vts, arrival_ms), arrival_ms, 0);
}

static void store(agora_jb *jb, int64_t ext, uint32_t ts, int marker, const uint8_t *payload,
                  size_t len, int64_t arrival_ms)
{
    int64_t vts = compute_vts(jb, ext, ts, marker, arrival_ms);
    store_vts(jb, ext, vts, ts, marker, payload, len, arrival_ms, 1);
}

/* Whether a packet with this transit belongs to a delay spike: a transit more
 * than SPIKE_MS above the largest of the window starts one (an upstream stall
 * released as a burst of old packets); it lasts while transits stay above that
 * largest one. Spike packets stay out of the window, so the target does not
 * grow for a one-off stall. A spike lasting SPIKE_MAX_MS of arrivals is a new
 * path delay instead: the window restarts from this packet. */
static int spike_packet(agora_jb *jb, double transit, int64_t arrival_ms)
{
    if (!jb->have_window)
        return 0;
    if (jb->spike_active) {
        if (transit <= jb->max_transit) {
            jb->spike_active = 0; /* back within the jitter seen before it */
            return 0;
        }
        if (arrival_ms - jb->spike_start_ms >= SPIKE_MAX_MS) {
            jb->spike_active = 0;
            jb->have_window = 0;
            return 0;
        }
        return 1;
    }
    if (transit > jb->max_transit + SPIKE_MS) {
        jb->spike_active = 1;
        jb->spike_start_ms = arrival_ms;
        jb->st.spikes++;
        return 1;
    }
    return 0;
}

static void mark_gone(agora_jb *jb, int64_t ext);
static void consume_note(agora_jb *jb, int64_t ext, int64_t vts, uint32_t ts);

/* A spike packet at ext (next_seq <= ext < next_seq + CAP) that arrived too
 * late to play within the target's band: it, and the older packets still
 * buffered, would only add delay. All are dropped, the missing sequence
 * numbers before it are given up, and play goes on after it. */
static void drop_stale(agora_jb *jb, int64_t ext, int64_t vts, uint32_t ts)
{
    for (int64_t e = jb->next_seq; e < ext; e++) {
        jb_slot *s = slot_of(jb, e);
        if (s->state == SLOT_FILLED && s->seq == e) {
            s->state = SLOT_PLAYED; /* a later copy is a duplicate */
            jb->count--;
            jb->st.dropped++;
        } else {
            mark_gone(jb, e);
            if (jb->started)
                jb->st.lost++;
        }
    }
    jb_slot *s = slot_of(jb, ext);
    s->seq = ext;
    s->state = SLOT_PLAYED;
    jb->st.dropped++;
    jb->st.stale++;
    consume_note(jb, ext, vts, ts);
    jb->next_seq = ext + 1;
    if (ext > jb->highest)
        jb->highest = ext;
}

static void hold(agora_jb *jb, uint32_t ssrc, uint16_t seq, uint32_t ts, int marker,
                 const uint8_t *payload, size_t len, int64_t arrival_ms)
{
    if (jb->held_valid)
        jb->st.invalid++; /* the previous one was never confirmed */
    jb->held_valid = 1;
    jb->held_ssrc = ssrc;
    jb->held_seq = seq;
    jb->held_ts = ts;
    jb->held_marker = marker;
    jb->held_arrival = arrival_ms;
    jb->held_len = (uint16_t)len;
    if (len)
        memcpy(jb->held_data, payload, len);
}

int agora_jb_insert(agora_jb *jb, uint32_t ssrc, uint16_t seq, uint32_t timestamp, int marker,
                    const uint8_t *payload, size_t len, int64_t arrival_ms)
{
    if (!jb || (!payload && len))
        return AGORA_ERR_INVALID_ARGUMENT;
    if (len > AGORA_JB_MAX_PAYLOAD) {
        jb->st.invalid++;
        return AGORA_ERR_TOO_LARGE;
    }
    if (!jb->have_stream || ssrc != jb->ssrc) {
        int was_streaming = jb->have_stream;
        if (was_streaming)
            jb->st.resyncs++;
        begin_stream(jb, ssrc, seq);
        store(jb, seq, timestamp, marker, payload, len, arrival_ms);
        return was_streaming ? AGORA_JB_RESYNCED : AGORA_JB_INSERTED;
    }

    int32_t d = seq_diff(seq, (uint16_t)jb->next_seq);
    int64_t ext = jb->next_seq + d;

    if (d >= 0 && d < CAP) {
        const jb_slot *s = cslot_of(jb, ext);
        if (s->seq == ext && s->state == SLOT_FILLED) {
            jb->st.duplicates++;
            return AGORA_JB_DUPLICATE;
        }
        int64_t vts = compute_vts(jb, ext, timestamp, marker, arrival_ms);
        double transit = transit_of(jb, vts, arrival_ms);
        int spike = spike_packet(jb, transit, arrival_ms);
        if (spike && transit - jb->min_transit > jb->target_ms + HIGH_BAND_MS) {
            loss_note_arrival(jb, ext, arrival_ms); /* too old to play, but not lost */
            drop_stale(jb, ext, vts, timestamp);
            return AGORA_JB_STALE;
        }
        store_vts(jb, ext, vts, timestamp, marker, payload, len, arrival_ms, !spike);
        return AGORA_JB_INSERTED;
    }
    if (d < 0 && d > -CAP && !jb->started && jb->highest - ext < CAP) {
        /* reordered before playback started: begin earlier */
        const jb_slot *s = cslot_of(jb, ext);
        if (s->seq == ext && s->state == SLOT_FILLED) {
            jb->st.duplicates++;
            return AGORA_JB_DUPLICATE;
        }
        int64_t vts = compute_vts(jb, ext, timestamp, marker, arrival_ms);
        double transit = transit_of(jb, vts, arrival_ms);
        int spike = spike_packet(jb, transit, arrival_ms);
        if (spike && transit - jb->min_transit > jb->target_ms + HIGH_BAND_MS) {
            jb->st.late++; /* older than the next one to play, and stale */
            jb->st.stale++;
            loss_note_arrival(jb, ext, arrival_ms);
            return AGORA_JB_STALE;
        }
        jb->next_seq = ext;
        store_vts(jb, ext, vts, timestamp, marker, payload, len, arrival_ms, !spike);
        return AGORA_JB_INSERTED;
    }
    if (d < 0 && d >= -MAX_MISORDER) {
        if (d > -CAP) {
            const jb_slot *s = cslot_of(jb, ext);
            if (s->seq == ext && (s->state == SLOT_PLAYED || s->state == SLOT_FILLED)) {
                jb->st.duplicates++;
                return AGORA_JB_DUPLICATE;
            }
        }
        /* its turn has passed: widen the timing window so the target grows,
         * unless it belongs to a delay spike (a stall is not jitter) */
        jb->st.late++;
        loss_note_arrival(jb, ext, arrival_ms);
        if (jb->have_ref) {
            int64_t vts = compute_vts(jb, ext, timestamp, marker, arrival_ms);
            double transit = transit_of(jb, vts, arrival_ms);
            if (spike_packet(jb, transit, arrival_ms))
                jb->st.stale++;
            else
                window_add(jb, transit, arrival_ms, 1);
        }
        return AGORA_JB_LATE;
    }

    /* far from the stream: a restart if the next packet follows it */
    if (jb->held_valid && jb->held_ssrc == ssrc) {
        int32_t hd = seq_diff(seq, jb->held_seq);
        int64_t age = arrival_ms - jb->held_arrival;
        if (hd > 0 && hd < CAP && age >= 0 && age <= HOLD_CONFIRM_MS) {
            /* copy the held packet out of the struct before the flush */
            uint16_t hseq = jb->held_seq;
            uint32_t hts = jb->held_ts;
            int hmarker = jb->held_marker;
            int64_t harr = jb->held_arrival;
            jb->st.resyncs++;
            jb->held_valid = 0;           /* stored again below: not flushed */
            begin_stream(jb, ssrc, hseq); /* keeps held_data */
            store(jb, hseq, hts, hmarker, jb->held_data, jb->held_len, harr);
            store(jb, (int64_t)hseq + hd, timestamp, marker, payload, len, arrival_ms);
            return AGORA_JB_RESYNCED;
        }
    }
    hold(jb, ssrc, seq, timestamp, marker, payload, len, arrival_ms);
    return AGORA_JB_HELD;
}

/* ----------------------------------------------------------- pull */

/* Current delay (ms) of extended seq `ext` if it were played at now. */
static double delay_of(const agora_jb *jb, int64_t vts, int64_t now_ms)
{
    return (double)now_ms - (double)vts / jb->ticks_per_ms - jb->min_transit;
}

static void mark_gone(agora_jb *jb, int64_t ext)
{
    jb_slot *s = slot_of(jb, ext);
    if (s->state == SLOT_FILLED) /* not expected: callers pass missing seqs */
        jb->count--;
    s->seq = ext;
    s->state = SLOT_GONE;
}

/* First FILLED extended seq >= next_seq, or -1 semantics via *found = 0. */
static int64_t first_filled(const agora_jb *jb, int *found)
{
    int64_t end = jb->highest;
    if (end > jb->next_seq + CAP - 1)
        end = jb->next_seq + CAP - 1;
    for (int64_t e = jb->next_seq; e <= end; e++) {
        if (is_filled(jb, e)) {
            *found = 1;
            return e;
        }
    }
    *found = 0;
    return 0;
}

/* Whether a packet after ext (within the ring) is buffered: what confirms a
 * forward jump to ext (a lone packet far ahead may be forged or stray). */
static int confirmed_by_next(const agora_jb *jb, int64_t ext)
{
    int64_t end = jb->next_seq + CAP - 1;
    for (int64_t e = ext + 1; e <= end && e <= jb->highest; e++)
        if (is_filled(jb, e))
            return 1;
    return 0;
}

static void consume_note(agora_jb *jb, int64_t ext, int64_t vts, uint32_t ts)
{
    jb->have_last = 1;
    jb->last_seq = ext;
    jb->last_vts = vts;
    jb->last_ts = ts;
}

/* Emit the buffered packet next_seq. */
static int emit_packet(agora_jb *jb, int64_t now_ms, agora_jb_frame *out)
{
    jb_slot *s = slot_of(jb, jb->next_seq);
    s->state = SLOT_PLAYED;
    jb->count--;
    jb->st.played++;
    jb->st.current_delay_ms = (int)lround(delay_of(jb, s->vts, now_ms) + jb->pending_ms);
    double wait = (double)(now_ms - s->arrival_ms) + jb->pending_ms;
    jb->st.wait_ms_sum += wait > 0 ? (uint64_t)llround(wait) : 0;
    consume_note(jb, s->seq, s->vts, s->ts);
    jb->next_seq++;
    jb->underrun_run = 0;
    out->kind = AGORA_JB_PACKET;
    out->restart = jb->restart_flag;
    jb->restart_flag = 0;
    out->marker = s->marker;
    out->seq = (uint16_t)s->seq;
    out->timestamp = s->ts;
    out->payload = s->data;
    out->payload_len = s->len;
    return AGORA_JB_PACKET;
}

/* A concealment frame that does not give next_seq up. */
static int emit_conceal(agora_jb *jb, uint32_t est_ts, agora_jb_frame *out)
{
    jb->st.concealed++;
    out->kind = AGORA_JB_LOST;
    out->seq_lost = 0;
    out->seq = (uint16_t)jb->next_seq;
    out->timestamp = est_ts;
    return AGORA_JB_LOST;
}

/* Whether the sender paused before e (buffered): e's timestamp is past where it
 * would be had the sender gone on from the last number consumed (RFC 3551 4.1;
 * the marker bit says so too, but is not relied on). */
static int paused_before(const agora_jb *jb, int64_t e)
{
    int64_t due = jb->last_vts + (e - jb->last_seq) * jb->frame_ticks;
    return !jb->have_last || cslot_of(jb, e)->vts - due > jb->frame_ticks / 2;
}

/* Play (re)starts at e after the buffer ran dry on quiet audio (quiet_pause). When
 * the sender paused, the silence was its pause. Otherwise the packets were merely
 * late (or lost), and the silence stood in for them: it counts as the underrun
 * concealment it replaced, a frame per packet duration it lasted, at most
 * MAX_UNDERRUN (after which an underrun goes back to buffering, uncounted: a
 * stall's silence is not concealment of one late packet). Returns those frames. */
static uint64_t settle_quiet_pause(agora_jb *jb, int64_t e, int64_t now_ms)
{
    jb->quiet_pause = 0;
    if (paused_before(jb, e))
        return 0;
    double frames = ceil((double)(now_ms - jb->quiet_pause_ms) / frame_duration_ms(jb));
    uint64_t n = frames <= 1 ? 1 : frames >= MAX_UNDERRUN ? MAX_UNDERRUN : (uint64_t)frames;
    jb->st.underruns += n;
    jb->st.concealed += n;
    jb->st.silent_underruns += n;
    return n;
}

/* Dry after quiet audio, and e (at most MAX_JUMP numbers ahead) shows the sender
 * did not pause: play goes on as if it had not run dry. The silence took the
 * place of the first numbers missing before e: given up without more concealment
 * (as a catch-up after an underrun's frames), but for the one right before e,
 * which e's FEC copy may rebuild; the pulls give up the rest as in play. */
static void resume_after_late(agora_jb *jb, int64_t e, int64_t now_ms)
{
    uint64_t n = settle_quiet_pause(jb, e, now_ms);
    const jb_slot *es = cslot_of(jb, e);
    for (; n > 0 && jb->next_seq < e - 1; n--) {
        int64_t back = e - jb->next_seq;
        mark_gone(jb, jb->next_seq);
        jb->st.lost++;
        consume_note(jb, jb->next_seq, es->vts - back * jb->frame_ticks,
                     es->ts - (uint32_t)(back * jb->frame_ticks));
        jb->next_seq++;
    }
    jb->state = ST_PLAYING;
    jb->over_run = 0;
}

/* Consume the pause keepalive's number (next_seq). */
static void consume_pause(agora_jb *jb)
{
    jb_slot *s = slot_of(jb, jb->next_seq);
    s->seq = jb->next_seq;
    s->state = SLOT_PLAYED; /* a copy of the keepalive is a duplicate */
    jb->next_seq++;
    jb->pause_valid = 0;
    jb->st.skipped++;
}

int agora_jb_pull(agora_jb *jb, int64_t now_ms, agora_jb_frame *out)
{
    if (!jb || !out)
        return AGORA_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof(*out));
    out->kind = AGORA_JB_EMPTY;
    if (!jb->have_stream)
        return AGORA_JB_EMPTY;
    double target = jb->target_ms;
    double frame_ms = frame_duration_ms(jb);

    if (jb->state == ST_BUFFERING) {
        if (jb->count == 0)
            return AGORA_JB_EMPTY;
        int found = 0;
        int64_t e = first_filled(jb, &found);
        if (!found) /* not expected: count > 0 means a slot in the window */
            return AGORA_JB_EMPTY;
        if (jb->quiet_pause && jb->started && e - jb->next_seq <= MAX_JUMP && !paused_before(jb, e)) {
            resume_after_late(jb, e, now_ms);
            return agora_jb_pull(jb, now_ms, out); /* once: playing now */
        }
        /* a talk spurt after a pause starts at the first pull within LOW_BAND of
         * the target (over the pull grid its delay then averages the target, not
         * target + half a pull): the window knows the jitter, and a packet before
         * e that is not there yet is later than any of it. The very first start
         * (the window has seen one packet) waits for the whole target. */
        double start_at = jb->started ? target - LOW_BAND_MS : target;
        if (delay_of(jb, slot_of(jb, e)->vts, now_ms) < start_at)
            return AGORA_JB_EMPTY;
        if (jb->started && e - jb->next_seq > MAX_JUMP && !confirmed_by_next(jb, e))
            return AGORA_JB_EMPTY; /* a jump over missing numbers waits for the packet after it */
        if (jb->quiet_pause)
            (void)settle_quiet_pause(jb, e, now_ms);
        if (jb->started) {
            for (int64_t g = jb->next_seq; g < e; g++) {
                mark_gone(jb, g);
                jb->st.lost++;
            }
        }
        jb->next_seq = e;
        jb->state = ST_PLAYING;
        jb->started = 1;
        jb->over_run = 0;
        return emit_packet(jb, now_ms, out);
    }

    /* PLAYING */
    if (jb->pause_valid && jb->pause_seq < jb->next_seq)
        jb->pause_valid = 0; /* passed over (a catch-up, a stale burst) */
    if (jb->pause_valid && jb->pause_seq == jb->next_seq) {
        /* the sender's pause: its number is consumed without a loss; nothing more
         * buffered means its talk spurt is over (silence, no concealment), else the
         * next spurt follows at once */
        consume_pause(jb);
        if (jb->count == 0) {
            jb->state = ST_BUFFERING;
            jb->underrun_run = 0;
            jb->over_run = 0;
            return AGORA_JB_EMPTY;
        }
    }
    if (jb->count == 0 && jb->pause_valid) {
        /* packets lost right before the sender's pause: given up (concealed) one a
         * pull, as before any later packet; then the pause itself */
        int64_t lost_seq = jb->next_seq;
        uint32_t ts = jb->have_last ? jb->last_ts + (uint32_t)((lost_seq - jb->last_seq) * jb->frame_ticks) : 0;
        int64_t vts = jb->have_last ? jb->last_vts + (lost_seq - jb->last_seq) * jb->frame_ticks : 0;
        mark_gone(jb, lost_seq);
        jb->st.lost++;
        jb->st.concealed++;
        consume_note(jb, lost_seq, vts, ts);
        jb->next_seq++;
        out->kind = AGORA_JB_LOST;
        out->seq_lost = 1;
        out->seq = (uint16_t)lost_seq;
        out->timestamp = ts;
        return AGORA_JB_LOST;
    }
    if (jb->count == 0 && jb->underrun_run == 0 && jb->quiet_tail) {
        /* dry right after quiet audio: a sender with silence suppression or DTX stops
         * there without a word (no keepalive, no comfort noise): silence, not
         * concealment, and play starts again as after a pause (no number is given up:
         * a packet merely late still plays, its wait counted then: settle_quiet_pause) */
        jb->state = ST_BUFFERING;
        jb->over_run = 0;
        jb->quiet_pause = 1;
        jb->quiet_pause_ms = now_ms;
        jb->st.quiet_pauses++;
        return AGORA_JB_EMPTY;
    }
    if (jb->count == 0) {
        uint32_t est = jb->have_last
                           ? jb->last_ts + (uint32_t)((jb->next_seq - jb->last_seq) * jb->frame_ticks)
                           : 0;
        if (jb->underrun_run >= MAX_UNDERRUN) {
            jb->state = ST_BUFFERING;
            jb->underrun_run = 0;
            jb->over_run = 0;
            return AGORA_JB_EMPTY;
        }
        jb->underrun_run++;
        jb->st.underruns++;
        return emit_conceal(jb, est, out);
    }

    int found = 0;
    int64_t s = first_filled(jb, &found);
    if (!found)
        return AGORA_JB_EMPTY; /* not expected */
    const jb_slot *ss = slot_of(jb, s);
    int64_t gap = s - jb->next_seq;
    double c_next = delay_of(jb, ss->vts - gap * jb->frame_ticks, now_ms) + jb->pending_ms;
    uint32_t est_ts = ss->ts - (uint32_t)(gap * jb->frame_ticks);

    int expand = 0;
    if (c_next < target - (jb->cfg.time_stretch ? EXPAND_BAND_MS : LOW_BAND_MS)) {
        jb->over_run = 0;
        if (!jb->cfg.time_stretch) {
            /* too early for the target: grow the delay by one frame */
            jb->st.stretched++;
            return emit_conceal(jb, est_ts, out);
        }
        expand = gap == 0; /* the caller lengthens this packet's audio */
    }

    if (gap > 0) {
        /* behind schedule: skip missing packets without concealing them (more than
         * MAX_JUMP at once only towards a packet the stream's next one confirms) */
        int64_t stop = gap > MAX_JUMP && !confirmed_by_next(jb, s) ? jb->next_seq + MAX_JUMP : s;
        while (jb->next_seq < stop && c_next > target + HIGH_BAND_MS) {
            mark_gone(jb, jb->next_seq);
            jb->st.lost++;
            jb->next_seq++;
            c_next -= frame_ms;
        }
        if (jb->next_seq < s) {
            int64_t lost_seq = jb->next_seq;
            mark_gone(jb, lost_seq);
            jb->st.lost++;
            jb->st.concealed++;
            out->kind = AGORA_JB_LOST;
            out->seq_lost = 1;
            out->seq = (uint16_t)lost_seq;
            out->timestamp = ss->ts - (uint32_t)((s - lost_seq) * jb->frame_ticks);
            if (lost_seq + 1 == s) {
                out->fec_payload = ss->data;
                out->fec_payload_len = ss->len;
                jb->st.fec_offered++;
            }
            consume_note(jb, lost_seq, ss->vts - (s - lost_seq) * jb->frame_ticks,
                         out->timestamp);
            jb->next_seq++;
            jb->underrun_run = 0;
            jb->over_run = 0;
            return AGORA_JB_LOST;
        }
    }

    /* next_seq is buffered: play it, maybe after dropping one to shrink */
    int stretch = jb->cfg.time_stretch;
    if (c_next > target + (stretch ? ACCEL_BAND_MS : HIGH_BAND_MS))
        jb->over_run++;
    else
        jb->over_run = 0;
    int drop = stretch ? c_next > target + STRETCH_FAST_SHRINK_MS
                       : jb->over_run >= SHRINK_SUSTAIN || c_next > target + FAST_SHRINK_MS;
    if (drop && is_filled(jb, jb->next_seq + 1)) {
        jb_slot *d = slot_of(jb, jb->next_seq);
        d->state = SLOT_PLAYED;
        jb->count--;
        jb->st.dropped++;
        jb->st.shrunk++;
        consume_note(jb, d->seq, d->vts, d->ts);
        jb->next_seq++;
        jb->over_run = 0;
    }
    /* shortening needs audio beyond this frame: the caller's, or the next packet */
    int accelerate = stretch && !drop && jb->over_run >= ACCEL_SUSTAIN &&
                     (jb->pending_ms >= ACCEL_MIN_PENDING_MS || is_filled(jb, jb->next_seq + 1));
    emit_packet(jb, now_ms, out);
    if (accelerate) {
        out->stretch = c_next > target + HIGH_BAND_MS ? AGORA_JB_ACCELERATE : AGORA_JB_ACCELERATE_QUIET;
        jb->st.accelerate_requests++;
        jb->over_run = 0;
    } else if (expand) {
        out->stretch = AGORA_JB_EXPAND;
        jb->st.expand_requests++;
    }
    return AGORA_JB_PACKET;
}

int agora_jb_peek_next(const agora_jb *jb, const uint8_t **payload, size_t *len)
{
    if (!jb || !jb->have_stream || !is_filled(jb, jb->next_seq))
        return 0;
    const jb_slot *s = cslot_of(jb, jb->next_seq);
    if (payload)
        *payload = s->data;
    if (len)
        *len = s->len;
    return 1;
}

int agora_jb_skip(agora_jb *jb, uint32_t ssrc, uint16_t seq)
{
    if (!jb)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (!jb->have_stream || ssrc != jb->ssrc)
        return 0;
    /* right after the newest packet, buffered or just played (not yet concealing an
     * underrun): the sender paused there; consumed when play reaches it, the packets
     * missing before it (up to MAX_JUMP: lost) concealed first (agora_jb_pull) */
    const int played_all = jb->count == 0 && jb->state == ST_PLAYING && jb->underrun_run == 0 &&
                           jb->next_seq == jb->highest + 1;
    if (jb->count > 0 || played_all) {
        int32_t h = seq_diff(seq, (uint16_t)jb->highest);
        if (h < 1 || h > MAX_JUMP + 1 || (jb->count > 0 && !is_filled(jb, jb->highest)) ||
            (jb->pause_valid && jb->pause_seq == jb->highest + h))
            return 0;
        jb->pause_valid = 1;
        jb->pause_seq = jb->highest + h;
        loss_note_arrival(jb, jb->pause_seq, jb->loss_ms); /* the keepalive arrived */
        return 1;
    }
    int32_t d = seq_diff(seq, (uint16_t)jb->next_seq);
    if (d < 0)
        return 0; /* reordered, or a copy: its number is behind us already */
    int64_t ext = jb->next_seq + d;
    if (d > MAX_JUMP) {
        /* far ahead: consumed only when the stream's next keepalive follows it
         * (a stray or forged one must not move the timeline past real packets) */
        int confirmed = jb->pending_skip_valid && ext > jb->pending_skip &&
                        ext - jb->pending_skip < CAP;
        jb->pending_skip_valid = 1;
        jb->pending_skip = ext;
        if (!confirmed)
            return 0;
    }
    jb->pending_skip_valid = 0;
    if (jb->started)
        jb->st.lost += (uint64_t)d; /* numbers between: packets that never came */
    for (int64_t g = jb->next_seq; g < ext && g - jb->next_seq < CAP; g++)
        mark_gone(jb, g);
    jb_slot *s = slot_of(jb, ext);
    s->seq = ext;
    s->state = SLOT_PLAYED; /* a copy of the keepalive is a duplicate */
    loss_note_arrival(jb, ext, jb->loss_ms); /* the keepalive arrived */
    jb->next_seq = ext + 1;
    if (ext > jb->highest)
        jb->highest = ext;
    jb->state = ST_BUFFERING;
    jb->underrun_run = 0;
    jb->over_run = 0;
    jb->quiet_pause = 0; /* the sender says it paused */
    if (jb->held_valid)
        jb->st.invalid++; /* a held packet the keepalive did not confirm */
    jb->held_valid = 0;
    jb->st.skipped++;
    return 1;
}

void agora_jb_set_pending_audio(agora_jb *jb, double ms)
{
    if (jb && jb->cfg.time_stretch)
        jb->pending_ms = ms > 0 && ms < 1000 ? ms : 0;
}

void agora_jb_set_quiet_tail(agora_jb *jb, int quiet)
{
    if (jb)
        jb->quiet_tail = quiet != 0;
}

void agora_jb_get_stats(const agora_jb *jb, agora_jb_stats *out)
{
    if (!jb || !out)
        return;
    *out = jb->st;
    out->target_delay_ms = (int)lround(jb->target_ms);
    out->jitter_ms = jb->have_window ? (int)lround(jb->max_transit - jb->min_transit) : 0;
    out->buffered = jb->count + (jb->held_valid ? 1 : 0);
}
