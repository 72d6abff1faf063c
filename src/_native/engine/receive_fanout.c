/* The hand-off of a remote user's frame to one listening connection: its
 * receive path (found or made), first-frame events, encoded delivery, the
 * volume meter, and a job for the receive pool (receive_pool.c). Used by
 * every transport on the I/O thread (the hub's fan-out, the RTP playout). */
#include <string.h>
#include "engine/engine.h"

/* m's audio settings for the pool's current batch: read under m->mu by the
 * batch's first frame for m (which also takes the batch's hold of an
 * any_thread observer), reused by the rest (every remote stream of a tick). */
static const struct agora_rx_settings *settings_of(agora_service *svc, agora_rtc_conn *m)
{
    struct agora_rx_settings *s = &m->rx_settings;
    if (s->batch == svc->rx_pool.batch)
        return s;
    pthread_mutex_lock(&m->mu);
    s->has_obs = m->obs_set[OBS_AUDIO] && !m->destroyed;
    s->vad_on = m->vad_enabled;
    s->flags = m->audio_flags;
    s->vad_cfg = m->vad_cfg;
    s->gen = m->audio_obs_gen;
    s->rate = m->pb_rate;
    s->chans = m->pb_channels;
    s->apm_flags = m->apm_flags;
    memset(&s->direct, 0, sizeof(s->direct));
    /* an any_thread observer is called by the job itself; one hold per run keeps it registered */
    if (s->has_obs && m->audio_obs.any_thread &&
        (m->audio_hold_batch == svc->rx_pool.batch || agora_rx_pool_hold(&svc->rx_pool, m) == 0))
        s->direct = m->audio_obs;
    s->batch = svc->rx_pool.batch;
    pthread_mutex_unlock(&m->mu);
    return s;
}

int agora_io_deliver_audio(agora_service *svc, agora_rtc_conn *m, const char *uid,
                           const char *channel_id, const agora_sent_frame *f, agora_rx_hint *hint,
                           int (*prepare)(const agora_rx_job *job, void *arg), void *prepare_arg)
{
    const struct agora_rx_settings *s = settings_of(svc, m);
    const int has_obs = s->has_obs;
    if (f->gap && !(has_obs && s->vad_on))
        return 0; /* only a VAD in speech hears a gap (receive_path.c) */
    agora_rx_path *rx = agora_rx_table_get_hinted(&m->rx, uid, hint);
    if (!rx)
        return 0;
    if (!rx->first_frame_seen) {
        if (f->gap)
            return 0; /* nothing heard from this user yet: no utterance to end */
        rx->first_frame_seen = 1;
        agora_io_emit(svc, m, EV_FIRST_FRAME, uid, 0, 0, 0);
        agora_io_emit(svc, m, EV_TRACK_STATE, uid, REMOTE_AUDIO_STATE_DECODING,
             REMOTE_AUDIO_REASON_REMOTE_UNMUTED, 0);
    }
    if (f->encoded)
        agora_encoded_audio_deliver(svc, m, uid, f->encoded);
    agora_volume_meter *volume = f->gap ? NULL : atomic_load(&m->volume_meter);
    if (!agora_volume_meter_enabled(volume))
        volume = NULL;
    if (!has_obs && !volume)
        return 0;
    agora_rx_job *job = agora_rx_pool_add(&svc->rx_pool, rx);
    if (!job)
        return 0; /* out of memory: this frame is not heard */
    job->to = m;
    job->frame = f;
    job->channel_id = channel_id;
    job->vad_cfg = s->vad_cfg;
    job->vad_on = has_obs && s->vad_on; /* volume indication alone: resample + labels, no VAD */
    job->rate = s->rate;
    job->channels = s->chans;
    job->speech_only = s->flags == AGORA_AUDIO_DELIVER_SPEECH_ONLY;
    job->gen = s->gen;
    job->apm_flags = s->apm_flags;
    job->deliver = has_obs;
    job->direct = s->direct;
    job->volume = volume;
    job->prepare = prepare;
    job->prepare_arg = prepare_arg;
    return 1;
}

void agora_io_run_receive_jobs(agora_service *svc)
{
    agora_rx_pool_run(&svc->rx_pool);
}

void agora_io_end_utterance(agora_service *svc, agora_rtc_conn *to, const char *uid,
                            const char *channel_id)
{
    agora_rx_path *rx = agora_rx_table_get(&to->rx, uid, 0);
    if (!rx || !rx->resampler || !agora_vad_is_speaking(rx->vad))
        return;
    agora_sent_frame *gap = agora_sent_frame_new(rx->in_rate, rx->in_ch, rx->in_rate / 100);
    if (!gap)
        return;
    gap->gap = 1;
    /* the path hears gaps only until its VAD stops (receive_path.c); the
     * jobs run now, before the caller drops the path they point to */
    for (int i = 0; i < AGORA_GAP_FRAMES; i++)
        agora_io_deliver_audio(svc, to, uid, channel_id, gap, NULL, NULL, NULL);
    agora_io_run_receive_jobs(svc);
    agora_sent_frame_unref(gap);
}
