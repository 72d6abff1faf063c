/* Volume indication and active speaker of a connection's local user: the
 * configuration call, and the media-clock side that turns each finished
 * interval of the connection's volume meter into observer events. The I/O
 * side (feeding the meter with each received frame's labels) is in
 * agora_io_deliver_audio. */
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/errors.h"
#include "engine/engine.h"

int agora_local_user_set_audio_volume_indication_parameters(agora_rtc_conn *conn, int interval_ms,
                                                            int smooth, int report_vad)
{
    if (!conn)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (interval_ms < 0)
        interval_ms = 0; /* <= 0 turns it off, as in the original */
    if (interval_ms % 10 != 0 || interval_ms > AGORA_VOLUME_INDICATION_MAX_INTERVAL_MS ||
        smooth < 0 || smooth > 10 || (report_vad != 0 && report_vad != 1))
        return AGORA_ERR_INVALID_ARGUMENT;
    agora_volume_meter *m = atomic_load(&conn->volume_meter);
    if (!m) {
        if (interval_ms == 0)
            return AGORA_OK;
        agora_volume_meter *fresh = agora_volume_meter_new();
        if (!fresh)
            return AGORA_ERR_NO_MEMORY;
        agora_volume_meter *expected = NULL;
        if (atomic_compare_exchange_strong(&conn->volume_meter, &expected, fresh)) {
            m = fresh;
        } else { /* another thread created it first */
            agora_volume_meter_free(fresh);
            m = expected;
        }
    }
    agora_volume_meter_configure(m, interval_ms, smooth, report_vad, agora_monotonic_ms());
    /* received audio reaches this connection while either wants it */
    return agora_conn_post_listen(conn, AGORA_LISTEN_VOLUME, interval_ms > 0);
}

static void post_report(agora_service *svc, agora_rtc_conn *c, const agora_volume_report *r)
{
    size_t bytes = sizeof(agora_audio_volume_info) * (size_t)r->count;
    agora_event *ev = agora_event_new(EV_VOLUME_INDICATION, c, bytes);
    if (ev) {
        ev->a = r->count;
        ev->b = r->total_volume;
        if (bytes)
            memcpy(ev->data, r->speakers, bytes);
        agora_workq_push(&svc->delivery_q, &ev->node);
    }
    if (r->active_changed) {
        ev = agora_event_new(EV_ACTIVE_SPEAKER, c, 0);
        if (ev) {
            agora_copy_id(ev->uid, r->active_speaker);
            agora_workq_push(&svc->delivery_q, &ev->node);
        }
    }
}

void agora_volume_indication_tick(agora_service *svc, int64_t now_ms)
{
    /* Under svc->mu (the connection list), each meter's leaf lock and then
     * conn->mu in agora_event_new: the documented lock order. */
    pthread_mutex_lock(&svc->mu);
    for (agora_rtc_conn *c = svc->conns; c; c = c->svc_next) {
        agora_volume_meter *m = atomic_load(&c->volume_meter);
        if (!agora_volume_meter_enabled(m))
            continue;
        agora_volume_report r;
        if (agora_volume_meter_take_report(m, now_ms, &r) == 1) {
            post_report(svc, c, &r);
            free(r.speakers);
        }
    }
    pthread_mutex_unlock(&svc->mu);
}
