/* Volume indication arithmetic (see volume_meter.h and
 * agora_local_user_set_audio_volume_indication_parameters in connection.h).
 *
 * Per user and per 10 ms frame: v = frame volume, s += a * (v - s) with
 * a = (smooth + 1) / 11 (smooth 10: no smoothing, 0: the slowest). The
 * interval reports, per user heard in it, the peak of s, the vad flag (at
 * least 30 % of its frames voiced) and the mean pitch of its voiced frames.
 * Active speaker: at each frame, a voiced user whose s is at least
 * AGORA_ACTIVE_SPEAKER_MIN_VOLUME and not below any other user heard in the
 * interval scores one; the top scorer of an interval is the active speaker. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/errors.h"
#include "core/uid_set.h"
#include "audio/dsp/volume_meter.h"
#include "core/growable.h"

#define VOICED_PROB 50           /* voice_prob of a voiced frame */
#define VOICED_MIN_DBFS (-50.0f) /* and its level (the VAD's default rms gate) */

typedef struct vm_user {
    char uid[AGORA_MAX_ID_LEN + 1];
    float smoothed;      /* s, carried across intervals */
    float peak;          /* max s in the current interval */
    int frames, voiced;  /* in the current interval */
    double pitch_sum;
    int pitch_frames;
    int loudest;         /* active-speaker score in the current interval */
} vm_user;

struct agora_volume_meter {
    pthread_mutex_t mu;
    atomic_int interval_ms;  /* 0 = off; read without the lock by the clock */
    float alpha;
    int report_vad;
    int64_t next_due_ms;
    vm_user *users;
    int count, cap;
    char active[AGORA_MAX_ID_LEN + 1];
};

int agora_volume_from_dbfs(float dbfs)
{
    if (dbfs <= -127.0f)
        return 0;
    double v = 510.0 * pow(10.0, dbfs / 20.0);
    return v >= 255.0 ? 255 : (int)lround(v);
}

agora_volume_meter *agora_volume_meter_new(void)
{
    agora_volume_meter *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m);
        return NULL;
    }
    atomic_init(&m->interval_ms, 0);
    return m;
}

void agora_volume_meter_free(agora_volume_meter *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->mu);
    free(m->users);
    free(m);
}

void agora_volume_meter_configure(agora_volume_meter *m, int interval_ms, int smooth,
                                  int report_vad, int64_t now_ms)
{
    pthread_mutex_lock(&m->mu);
    m->alpha = (float)(smooth + 1) / 11.0f;
    m->report_vad = report_vad != 0;
    m->next_due_ms = now_ms + interval_ms;
    m->count = 0;
    m->active[0] = '\0';
    atomic_store(&m->interval_ms, interval_ms);
    pthread_mutex_unlock(&m->mu);
}

int agora_volume_meter_enabled(agora_volume_meter *m)
{
    return m && atomic_load_explicit(&m->interval_ms, memory_order_relaxed) > 0;
}

static vm_user *find_user(agora_volume_meter *m, const char *uid)
{
    for (int i = 0; i < m->count; i++)
        if (strcmp(m->users[i].uid, uid) == 0)
            return &m->users[i];
    vm_user *users = agora_grow(m->users, m->count, &m->cap, sizeof(*users), 4);
    if (!users)
        return NULL;
    m->users = users;
    vm_user *u = &m->users[m->count++];
    memset(u, 0, sizeof(*u));
    agora_copy_id(u->uid, uid);
    return u;
}

void agora_volume_meter_feed(agora_volume_meter *m, const char *uid, const agora_audio_labels *l)
{
    if (!agora_volume_meter_enabled(m))
        return;
    pthread_mutex_lock(&m->mu);
    vm_user *u = find_user(m, uid);
    if (u) {
        float v = (float)agora_volume_from_dbfs(l->dbfs);
        u->smoothed += m->alpha * (v - u->smoothed);
        if (u->smoothed > u->peak)
            u->peak = u->smoothed;
        u->frames++;
        int voiced = l->voice_prob >= VOICED_PROB && l->dbfs >= VOICED_MIN_DBFS;
        if (voiced) {
            u->voiced++;
            if (l->pitch_hz > 0) {
                u->pitch_sum += l->pitch_hz;
                u->pitch_frames++;
            }
        }
        if (voiced && u->smoothed >= AGORA_ACTIVE_SPEAKER_MIN_VOLUME) {
            int loudest = 1;
            for (int i = 0; i < m->count && loudest; i++) {
                const vm_user *o = &m->users[i];
                if (o != u && o->frames > 0 && o->smoothed > u->smoothed)
                    loudest = 0;
            }
            u->loudest += loudest;
        }
    }
    pthread_mutex_unlock(&m->mu);
}

static int by_volume_desc(const void *a, const void *b)
{
    const agora_audio_volume_info *x = a, *y = b;
    if (x->volume != y->volume)
        return y->volume - x->volume;
    return strcmp(x->user_id, y->user_id);
}

int agora_volume_meter_take_report(agora_volume_meter *m, int64_t now_ms, agora_volume_report *out)
{
    int interval = atomic_load_explicit(&m->interval_ms, memory_order_relaxed);
    if (interval <= 0)
        return 0;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&m->mu);
    if (now_ms < m->next_due_ms) {
        pthread_mutex_unlock(&m->mu);
        return 0;
    }
    m->next_due_ms += interval;
    if (m->next_due_ms <= now_ms) /* the clock fell behind: no burst of catch-up reports */
        m->next_due_ms = now_ms + interval;
    int heard = 0;
    for (int i = 0; i < m->count; i++)
        heard += m->users[i].frames > 0;
    int rc = 1;
    if (heard > 0) {
        out->speakers = calloc((size_t)heard, sizeof(*out->speakers));
        if (!out->speakers)
            rc = AGORA_ERR_NO_MEMORY;
    }
    double power = 0.0;
    const vm_user *top = NULL;
    int n = 0, kept = 0;
    for (int i = 0; i < m->count; i++) {
        vm_user *u = &m->users[i];
        if (u->frames == 0)
            continue; /* not heard for a whole interval: forgotten */
        if (out->speakers) {
            agora_audio_volume_info *s = &out->speakers[n++];
            agora_copy_id(s->user_id, u->uid);
            s->volume = (int)lroundf(u->peak);
            s->vad = m->report_vad && u->voiced > 0 && u->voiced * 10 >= u->frames * 3;
            s->voice_pitch = u->pitch_frames ? (float)(u->pitch_sum / u->pitch_frames) : 0.0f;
            power += (double)s->volume * s->volume;
        }
        if (u->loudest > 0 && (!top || u->loudest > top->loudest))
            top = u;
        m->users[kept] = *u;
        if (top == u)
            top = &m->users[kept];
        vm_user *k = &m->users[kept++];
        k->peak = k->smoothed;
        k->frames = k->voiced = k->pitch_frames = k->loudest = 0;
        k->pitch_sum = 0.0;
    }
    if (top && strcmp(top->uid, m->active) != 0) {
        agora_copy_id(m->active, top->uid);
        agora_copy_id(out->active_speaker, top->uid);
        out->active_changed = 1;
    }
    m->count = kept;
    pthread_mutex_unlock(&m->mu);
    if (rc < 0)
        return rc;
    out->count = n;
    if (n > 1)
        qsort(out->speakers, (size_t)n, sizeof(*out->speakers), by_volume_desc);
    double total = sqrt(power);
    out->total_volume = total >= 255.0 ? 255 : (int)lround(total);
    return 1;
}
