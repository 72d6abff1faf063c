/* The VAD V2 state machine (VAD.md section 2).
 *
 * Exact semantics (a pure-Python reference model reproduces them frame by
 * frame, so every rounding and counting rule is spelled out here):
 *
 * Notation: P = pre_start_recognize_count, S = start_recognize_count,
 * T = stop_recognize_count, A = active_percent, I = inactive_percent.
 * "level" is labels->dbfs (float32). Thresholds are stored as float32 and the
 * comparisons are made in float32 (a reference model should compare
 * numpy.float32 values, or float(numpy.float32(x)) on both sides).
 *
 * Required counts (integer arithmetic, no float ceil):
 *   a_ppm      = floor((double)A * 1e6 + 0.5)      A in parts per million
 *   need_start = ceil(a_ppm * S / 1e6)              exact 64-bit integer ceil
 *   need_start = clamp(need_start, 1, S)
 *   i_ppm, need_stop likewise with I and T.
 * (A is the float32 config value widened to double; A*1e6 is then exact, so
 * this is bit-reproducible. The effect is that A and I are read at a
 * resolution of 1e-6, which absorbs float32 noise such as 0.1f*10 =
 * 1.0000000149 that a naive ceil would turn into 2. The reference model does
 * a_ppm = math.floor(float(numpy.float32(A)) * 1e6 + 0.5) and
 * need = max(1, min(S, -(-(a_ppm * S) // 10**6))).)
 *
 * State NOT SPEAKING (after create/reset, and after every stop):
 *   - each frame is appended to a ring of capacity P+S frames (the oldest
 *     frame is dropped when it is full) and counted in `seen` (frames since
 *     the last stop, or since create/reset);
 *   - the frame is active iff voice_prob >= start_voice_prob AND
 *     level >= start_rms_threshold (the effective one, see adaptive below);
 *   - the start window is the last S frames (all of them after the last stop);
 *   - if seen >= S and the window holds >= need_start active frames, the
 *     result is state 1 (START) with the bytes of every frame in the ring,
 *     oldest first, the current frame last: at most P frames of pre-roll
 *     followed by the S window frames. The ring and the window are cleared;
 *   - otherwise state 0 with empty bytes (length 0, bytes non-NULL).
 *
 * State SPEAKING (after a start):
 *   - the start frame itself is NOT part of the stop window. Every later
 *     frame is counted in `since_start` (1 for the first frame after the start
 *     frame) and pushed into a stop window holding the last T such frames;
 *   - the frame is inactive iff voice_prob < stop_voice_prob OR
 *     level < stop_rms_threshold (effective);
 *   - if since_start >= T and the stop window holds >= need_stop inactive
 *     frames, the result is state 3 (STOP) with that frame's bytes and the
 *     machine returns to NOT SPEAKING with seen = 0 and an empty ring;
 *     otherwise state 2 with that frame's bytes.
 *   So the earliest possible stop is the T-th frame after the start frame,
 *   and after a stop at least S new frames are needed before the next start.
 *
 * Start run (cfg.start_run_count = R >= 1, off by default; R <= S): the start
 * condition above also needs the current frame and the R-1 frames before it to
 * be active (a run of R active frames, every one seen since the last stop).
 * With R = 0 nothing changes.
 *
 * Adaptive loudness (cfg.adaptive_rms = 1, off by default): while speaking the
 * machine sums, in double and in frame order, the level of the start frame
 * and of every frame after it up to and including the stop frame. At the stop,
 * mean = sum / count and, with F = adaptive_rms_factor (dB),
 *   eff_start = (float)fmax((double)start_rms_threshold, mean - F)
 *   eff_stop  = (float)fmax((double)stop_rms_threshold,  mean - F)
 * become the thresholds used from the next frame on (until the next stop
 * recomputes them, or reset() restores the configured values). The
 * configured thresholds are floors that the adaptive ones never go below.
 *
 * Byte conservation: every input frame is emitted at most once, in order;
 * a frame in NOT SPEAKING is either dropped from the ring (too old) or
 * emitted in the start bytes. Each segment (1, 2*, 3) is contiguous input.
 */
#include "agora_rtc/vad.h"
#include "agora_rtc/errors.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct agora_vad {
    agora_vad_config cfg;
    size_t frame_bytes;
    int need_start;
    int need_stop;

    /* frame ring (NOT SPEAKING) */
    uint8_t *ring;      /* ring_cap * frame_bytes */
    int ring_cap;       /* P + S */
    int ring_head;      /* index of the oldest frame */
    int ring_count;

    /* start window activity bits (last S frames) */
    uint8_t *start_bits;
    int start_pos;
    int start_active;
    long long seen;
    int active_run;     /* active frames in a row, ending at the last frame (start run rule) */

    /* stop window inactivity bits (last T frames after the start frame) */
    uint8_t *stop_bits;
    int stop_pos;
    int stop_inactive;
    long long since_start;

    int speaking;

    /* adaptive loudness */
    float eff_start_rms;
    float eff_stop_rms;
    double level_sum;
    long long level_count;

    /* output buffer: ring_cap * frame_bytes (covers state 1 and 2/3) */
    uint8_t *out;
};

void agora_vad_config_default(agora_vad_config *cfg)
{
    if (!cfg)
        return;
    cfg->pre_start_recognize_count = 16;
    cfg->start_recognize_count = 30;
    cfg->stop_recognize_count = 50;
    cfg->active_percent = 0.7f;
    cfg->inactive_percent = 0.5f;
    cfg->start_voice_prob = 70;
    cfg->stop_voice_prob = 70;
    cfg->start_rms_threshold = -50.0f;
    cfg->stop_rms_threshold = -50.0f;
    cfg->adaptive_rms = 0;
    cfg->adaptive_rms_factor = 20.0f;
    cfg->start_run_count = 0;
}

static int in_unit_open_closed(float x)
{
    return isfinite(x) && x > 0.0f && x <= 1.0f;
}

static int in_dbfs_range(float x)
{
    return isfinite(x) && x >= -100.0f && x <= 0.0f;
}

int agora_vad_config_validate(const agora_vad_config *cfg)
{
    if (!cfg)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (cfg->pre_start_recognize_count < 0)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (cfg->start_recognize_count < 1 || cfg->stop_recognize_count < 1)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (!in_unit_open_closed(cfg->active_percent) ||
        !in_unit_open_closed(cfg->inactive_percent))
        return AGORA_ERR_INVALID_ARGUMENT;
    if (cfg->start_voice_prob < 0 || cfg->start_voice_prob > 100 ||
        cfg->stop_voice_prob < 0 || cfg->stop_voice_prob > 100)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (!in_dbfs_range(cfg->start_rms_threshold) ||
        !in_dbfs_range(cfg->stop_rms_threshold))
        return AGORA_ERR_INVALID_ARGUMENT;
    if (cfg->adaptive_rms != 0 && cfg->adaptive_rms != 1)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (!isfinite(cfg->adaptive_rms_factor) || cfg->adaptive_rms_factor < 0.0f ||
        cfg->adaptive_rms_factor > 100.0f)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (cfg->start_run_count < 0 || cfg->start_run_count > cfg->start_recognize_count)
        return AGORA_ERR_INVALID_ARGUMENT;
    return AGORA_OK;
}

/* ceil(percent * n) read at 1e-6 resolution, clamped to [1, n]. */
static int required_count(float percent, int n)
{
    long long ppm = (long long)floor((double)percent * 1e6 + 0.5);
    long long need = (ppm * (long long)n + 999999LL) / 1000000LL;
    if (need < 1)
        need = 1;
    if (need > n)
        need = n;
    return (int)need;
}

static void vad_clear_not_speaking(agora_vad *v)
{
    v->ring_head = 0;
    v->ring_count = 0;
    memset(v->start_bits, 0, (size_t)v->cfg.start_recognize_count);
    v->start_pos = 0;
    v->start_active = 0;
    v->seen = 0;
    v->active_run = 0;
}

static void vad_clear_speaking(agora_vad *v)
{
    memset(v->stop_bits, 0, (size_t)v->cfg.stop_recognize_count);
    v->stop_pos = 0;
    v->stop_inactive = 0;
    v->since_start = 0;
    v->level_sum = 0.0;
    v->level_count = 0;
}

void agora_vad_reset(agora_vad *v)
{
    if (!v)
        return;
    vad_clear_not_speaking(v);
    vad_clear_speaking(v);
    v->speaking = 0;
    v->eff_start_rms = v->cfg.start_rms_threshold;
    v->eff_stop_rms = v->cfg.stop_rms_threshold;
}

int agora_vad_is_speaking(const agora_vad *v)
{
    return v && v->speaking;
}

agora_vad *agora_vad_create(const agora_vad_config *cfg, size_t frame_bytes)
{
    if (agora_vad_config_validate(cfg) != AGORA_OK || frame_bytes == 0)
        return NULL;
    long long cap = (long long)cfg->pre_start_recognize_count +
                    (long long)cfg->start_recognize_count;
    if (cap > INT32_MAX || (size_t)cap > SIZE_MAX / frame_bytes)
        return NULL;

    agora_vad *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->cfg = *cfg;
    v->frame_bytes = frame_bytes;
    v->ring_cap = (int)cap;
    v->need_start = required_count(cfg->active_percent, cfg->start_recognize_count);
    v->need_stop = required_count(cfg->inactive_percent, cfg->stop_recognize_count);
    v->ring = malloc((size_t)cap * frame_bytes);
    v->out = malloc((size_t)cap * frame_bytes);
    v->start_bits = malloc((size_t)cfg->start_recognize_count);
    v->stop_bits = malloc((size_t)cfg->stop_recognize_count);
    if (!v->ring || !v->out || !v->start_bits || !v->stop_bits) {
        agora_vad_destroy(v);
        return NULL;
    }
    agora_vad_reset(v);
    return v;
}

void agora_vad_destroy(agora_vad *v)
{
    if (!v)
        return;
    free(v->ring);
    free(v->out);
    free(v->start_bits);
    free(v->stop_bits);
    free(v);
}

static void ring_push(agora_vad *v, const uint8_t *frame)
{
    int slot;
    if (v->ring_count < v->ring_cap) {
        slot = v->ring_head + v->ring_count;
        if (slot >= v->ring_cap)
            slot -= v->ring_cap;
        v->ring_count++;
    } else {
        slot = v->ring_head; /* overwrite the oldest */
        v->ring_head++;
        if (v->ring_head == v->ring_cap)
            v->ring_head = 0;
    }
    memcpy(v->ring + (size_t)slot * v->frame_bytes, frame, v->frame_bytes);
}

/* Copy the ring into v->out, oldest first; returns the byte length. */
static size_t ring_linearize(agora_vad *v)
{
    size_t fb = v->frame_bytes;
    int first = v->ring_cap - v->ring_head;
    if (first > v->ring_count)
        first = v->ring_count;
    memcpy(v->out, v->ring + (size_t)v->ring_head * fb, (size_t)first * fb);
    if (v->ring_count > first)
        memcpy(v->out + (size_t)first * fb, v->ring, (size_t)(v->ring_count - first) * fb);
    return (size_t)v->ring_count * fb;
}

int agora_vad_process(agora_vad *v, const agora_audio_labels *labels,
                      const uint8_t *frame, size_t frame_bytes,
                      agora_vad_result *out)
{
    if (!v || !labels || !frame || !out)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (frame_bytes != v->frame_bytes)
        return AGORA_ERR_INVALID_ARGUMENT;

    const float level = labels->dbfs;
    const int prob = labels->voice_prob;

    if (!v->speaking) {
        int active = prob >= v->cfg.start_voice_prob && level >= v->eff_start_rms;
        ring_push(v, frame);
        v->seen++;
        int S = v->cfg.start_recognize_count;
        v->start_active += active - v->start_bits[v->start_pos];
        v->start_bits[v->start_pos] = (uint8_t)active;
        if (++v->start_pos == S)
            v->start_pos = 0;
        v->active_run = active ? v->active_run + 1 : 0;

        if (v->seen >= S && v->start_active >= v->need_start &&
            v->active_run >= v->cfg.start_run_count) {
            out->state = AGORA_VAD_START_SPEAKING;
            out->length = ring_linearize(v);
            out->bytes = v->out;
            vad_clear_not_speaking(v);
            vad_clear_speaking(v);
            v->speaking = 1;
            v->level_sum = (double)level;
            v->level_count = 1;
            return AGORA_OK;
        }
        out->state = AGORA_VAD_NOT_SPEAKING;
        out->bytes = v->out; /* non-NULL, zero length */
        out->length = 0;
        return AGORA_OK;
    }

    int inactive = prob < v->cfg.stop_voice_prob || level < v->eff_stop_rms;
    int T = v->cfg.stop_recognize_count;
    v->since_start++;
    v->stop_inactive += inactive - v->stop_bits[v->stop_pos];
    v->stop_bits[v->stop_pos] = (uint8_t)inactive;
    if (++v->stop_pos == T)
        v->stop_pos = 0;
    v->level_sum += (double)level;
    v->level_count++;

    memcpy(v->out, frame, frame_bytes);
    out->bytes = v->out;
    out->length = frame_bytes;

    if (v->since_start >= T && v->stop_inactive >= v->need_stop) {
        out->state = AGORA_VAD_STOP_SPEAKING;
        if (v->cfg.adaptive_rms) {
            double mean = v->level_sum / (double)v->level_count;
            double f = (double)v->cfg.adaptive_rms_factor;
            v->eff_start_rms = (float)fmax((double)v->cfg.start_rms_threshold, mean - f);
            v->eff_stop_rms = (float)fmax((double)v->cfg.stop_rms_threshold, mean - f);
        }
        v->speaking = 0;
        vad_clear_speaking(v);
        vad_clear_not_speaking(v);
        return AGORA_OK;
    }
    out->state = AGORA_VAD_SPEAKING;
    return AGORA_OK;
}
