/* Prosodic end-of-turn detector (see include/agora_rtc/turn_detector.h).
 *
 * Cues, all from the labels of the frames before the pause:
 * - intonation: a statement ends low and falling; a continuation (comma,
 *   list item, digit group, hesitation) ends level or rising;
 * - energy: a finished phrase decays into the pause, a cut one stops loud;
 * - timing: speaking rate, final lengthening, the length of the phrase.
 * The weights live in agora_turn_model; the default is fitted offline. */
#include "agora_rtc/turn_detector.h"
#include "agora_rtc/errors.h"

#include <math.h>
#include <stddef.h>

#define FRAME_S 0.01f
#define PITCH_WINDOW 600   /* frames of speech history for the speaker's pitch level */
#define SPEECH_WINDOW 200  /* frames for rate and level */
#define END_TAIL 60        /* frames at the end for the final contour */
#define END_LAST 5         /* voiced frames that make the final pitch */
#define END_SLOPE 15       /* voiced frames for the final pitch slope */
#define OUTLIER_ST 7.0f    /* semitones from the median: a tracker error */
#define HIST_LO (-24)      /* semitone bins vs 100 Hz: 25 Hz .. 1.6 kHz */
#define HIST_BINS 72
#define END_ENERGY 10      /* active frames at the end for the final level */
#define ENERGY_SLOPE 30    /* frames at the end for the level slope */
#define PHRASE_GAP 20      /* inactive frames that separate phrases */
#define MIN_RUN 3          /* voiced frames that make a syllable nucleus */

static float semitones(int hz) { return 12.0f * log2f((float)hz / 100.0f); }

static int st_bin(float st)
{
    int b = (int)floorf(st) - HIST_LO;
    return b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b;
}

static float median3(float a, float b, float c)
{
    return fmaxf(fminf(a, b), fminf(fmaxf(a, b), c));
}

/* least-squares slope of y over x (units of y per frame); 0 with < 4 points */
typedef struct { float sx, sy, sxx, sxy; int n; } line_fit;
static void fit_add(line_fit *l, float x, float y)
{
    l->sx += x; l->sy += y; l->sxx += x * x; l->sxy += x * y; l->n++;
}
static float fit_slope(const line_fit *l)
{
    if (l->n < 4)
        return 0.0f;
    float den = (float)l->n * l->sxx - l->sx * l->sx;
    return den > 1e-6f ? ((float)l->n * l->sxy - l->sx * l->sy) / den : 0.0f;
}

void agora_turn_features_compute(const agora_turn_frame *frames, int n, agora_turn_features *out)
{
    for (int i = 0; i < AGORA_TURN_NFEATURES; i++)
        out->v[i] = 0.0f;
    out->has_speech = 0;
    out->pause_frames = n > 0 ? n : 0;
    int e = n - 1;
    while (e >= 0 && !frames[e].active)
        e--;
    if (e < 0)
        return;
    out->has_speech = 1;
    out->pause_frames = n - 1 - e;

    /* the speaker's pitch level (median, 1 st bins) over the recent
     * speech; frames over OUTLIER_ST from the median are pitch-tracker octave
     * errors and are left out of every pitch cue */
    int p0 = e - PITCH_WINDOW + 1 > 0 ? e - PITCH_WINDOW + 1 : 0;
    int hist[HIST_BINS] = {0};
    int pn = 0, speech = 0;
    for (int i = p0; i <= e; i++) {
        if (frames[i].active)
            speech++;
        if (frames[i].pitch_hz > 0) {
            hist[st_bin(semitones(frames[i].pitch_hz))]++;
            pn++;
        }
    }
    float pmed = 0.0f;
    for (int b = 0, acc = 0; pn && b < HIST_BINS; b++) {
        acc += hist[b];
        if (2 * acc >= pn) { pmed = (float)(b + HIST_LO) + 0.5f; break; }
    }

    /* the end of the contour: the last clean voiced frames (up to END_TAIL
     * frames back), 3-point median smoothed, oldest first */
    float tail[END_TAIL];
    int tail_pos[END_TAIL];
    int tn = 0;
    for (int i = e; i >= p0 && i > e - END_TAIL; i--)
        if (frames[i].pitch_hz > 0) {
            float st = semitones(frames[i].pitch_hz) - pmed;
            if (fabsf(st) <= OUTLIER_ST) { tail[tn] = st; tail_pos[tn] = i - e; tn++; }
        }
    for (int a = 0, b = tn - 1; a < b; a++, b--) {
        float t = tail[a]; tail[a] = tail[b]; tail[b] = t;
        int q = tail_pos[a]; tail_pos[a] = tail_pos[b]; tail_pos[b] = q;
    }
    float smooth[END_TAIL];
    for (int i = 0; i < tn; i++)
        smooth[i] = (i == 0 || i == tn - 1) ? tail[i] : median3(tail[i - 1], tail[i], tail[i + 1]);
    if (tn >= 3) {
        int k = tn < END_LAST ? tn : END_LAST;
        float end_st = 0.0f, trough = smooth[0];
        for (int i = tn - k; i < tn; i++)
            end_st += smooth[i];
        end_st /= (float)k;
        for (int i = 0; i < tn; i++)
            trough = fminf(trough, smooth[i]);
        out->v[0] = end_st;
        out->v[2] = end_st - trough;
        line_fit pf = {0};
        for (int i = tn - (tn < END_SLOPE ? tn : END_SLOPE); i < tn; i++)
            fit_add(&pf, (float)tail_pos[i], smooth[i]);
        out->v[1] = fit_slope(&pf) / FRAME_S;
    }

    /* level: the speech's mean, its last frames, its slope at the end */
    int w0 = e - SPEECH_WINDOW + 1 > 0 ? e - SPEECH_WINDOW + 1 : 0;
    double lsum = 0;
    int ln = 0;
    float last_sum = 0;
    int last_n = 0, last_voiced = 0;
    line_fit ef = {0};
    for (int i = e; i >= w0; i--) {
        if (!frames[i].active)
            continue;
        lsum += frames[i].dbfs; ln++;
        if (last_n < END_ENERGY) {
            last_sum += frames[i].dbfs; last_n++;
            last_voiced += frames[i].pitch_hz > 0;
        }
        if (i > e - ENERGY_SLOPE)
            fit_add(&ef, (float)(i - e), frames[i].dbfs);
    }
    out->v[3] = (float)(lsum / ln) - last_sum / (float)last_n;
    out->v[4] = fit_slope(&ef) / FRAME_S;
    out->v[9] = (float)last_voiced / (float)last_n;

    /* rhythm: voiced runs (syllable nuclei) in the speech window */
    int runs = 0, run_frames = 0, run = 0, last_run = 0;
    for (int i = w0; i <= e + 1; i++) {
        if (i <= e && frames[i].pitch_hz > 0) {
            run++;
            continue;
        }
        if (run >= MIN_RUN) {
            runs++;
            run_frames += run;
            last_run = run;
        }
        run = 0;
    }
    out->v[5] = (float)runs / fmaxf((float)ln * FRAME_S, 0.1f);
    out->v[6] = runs ? (float)last_run / ((float)run_frames / (float)runs) : 0.0f;

    /* the phrase: back from the end to the previous pause of PHRASE_GAP frames */
    int gap = 0, s = e;
    for (int i = e; i >= 0 && gap < PHRASE_GAP; i--) {
        if (frames[i].active) { gap = 0; s = i; }
        else gap++;
    }
    out->v[7] = fminf((float)(e - s + 1) * FRAME_S, 5.0f);
    out->v[8] = (float)speech * FRAME_S;
}

float agora_turn_model_need_ms(const agora_turn_model *m, const agora_turn_features *f)
{
    float z = 0.0f;
    for (int i = 0; i < AGORA_TURN_NFEATURES; i++)
        z += m->w[i] * (f->v[i] - m->mean[i]) / m->scale[i];
    z = fminf(fmaxf(z, -20.0f), 20.0f);
    float need = m->base_wait_ms * expf(-z);
    return fminf(fmaxf(need, m->min_wait_ms), m->max_wait_ms);
}

float agora_turn_decide(const agora_turn_model *m, const agora_turn_frame *frames, int n,
                        float pause_ms, agora_turn_features *features_out)
{
    agora_turn_features f;
    agora_turn_features_compute(frames, n, &f);
    if (features_out)
        *features_out = f;
    if (!(pause_ms > 0.0f))
        pause_ms = 0.0f;
    if (!f.has_speech)
        return -pause_ms;
    return agora_turn_model_need_ms(m, &f) - pause_ms;
}

int agora_turn_model_validate(const agora_turn_model *m)
{
    if (!m)
        return AGORA_ERR_INVALID_ARGUMENT;
    for (int i = 0; i < AGORA_TURN_NFEATURES; i++)
        if (!isfinite(m->mean[i]) || !isfinite(m->w[i]) || !isfinite(m->scale[i]) || !(m->scale[i] > 0.0f))
            return AGORA_ERR_INVALID_ARGUMENT;
    if (!isfinite(m->base_wait_ms) || !(m->base_wait_ms > 0.0f) || !isfinite(m->min_wait_ms) ||
        !isfinite(m->max_wait_ms) || m->min_wait_ms < 0.0f || m->min_wait_ms > m->max_wait_ms ||
        m->max_wait_ms > 60000.0f)
        return AGORA_ERR_INVALID_ARGUMENT;
    return 0;
}

void agora_turn_model_default(agora_turn_model *m)
{
    /* DEFAULT_MODEL_BEGIN (written by benchmarks/bench_end_of_turn.py --fit-default) */
    static const agora_turn_model fitted = {
        .mean = {-1.72269f, -3.28796f, 3.02571f, 7.23795f, -27.0993f, 6.25747f, 0.8759f, 1.6293f, 2.27319f, 0.749221f},
        .scale = {2.54035f, 20.7156f, 2.17765f, 5.77701f, 48.0264f, 2.83336f, 0.698458f, 1.03524f, 1.17265f, 0.278837f},
        .w = {-0.277007f, 0.0450544f, 0.134924f, 0.0747341f, 0.0912264f, 0.0f, 0.0120753f, 0.0f, 0.0f, -0.0623497f},
        .base_wait_ms = 1530.0f,
        .min_wait_ms = 0.0f,
        .max_wait_ms = 3000.0f,
    };
    /* DEFAULT_MODEL_END */
    *m = fitted;
}
