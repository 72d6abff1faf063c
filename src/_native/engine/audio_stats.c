/* Remote audio statistics of one connection, gathered on the I/O thread (the
 * receive paths and RTP remotes are I/O-thread-only state). */
#include <string.h>
#include "engine/engine.h"

typedef struct stats_request {
    agora_remote_audio_stats *out;
    int max, count, users;
} stats_request;

void agora_audio_stats_process(agora_service *svc, io_item *it)
{
    (void)svc;
    agora_rtc_conn *c = it->conn;
    stats_request *req = it->out;
    int n = 0;
    for (unsigned b = 0; b < c->rx.nbuckets && n < req->max; b++) {
        for (const agora_rx_path *rx = c->rx.buckets[b]; rx && n < req->max; rx = rx->next) {
            agora_remote_audio_stats *s = &req->out[n++];
            memset(s, 0, sizeof(*s));
            memcpy(s->user_id, rx->uid, sizeof(s->user_id));
            s->sample_rate = rx->in_rate;
            s->channels = rx->in_ch;
            s->frames_received = rx->frames_in;
            s->bytes_received = rx->bytes_in;
        }
    }
    req->count = c->transport->remote_audio_stats(c, req->out, n, req->max, &req->users);
}

int agora_rtc_conn_get_remote_audio_stats(agora_rtc_conn *c, agora_remote_audio_stats *out, int max,
                                          int *count, int *users_in_channel)
{
    if (!c || !count || max < 0 || (!out && max > 0))
        return AGORA_ERR_INVALID_ARGUMENT;
    stats_request req = {.out = out, .max = max};
    io_item *it = agora_io_item_new(IO_AUDIO_STATS, c, 0);
    if (!it)
        return AGORA_ERR_NO_MEMORY;
    it->out = &req;
    int rc = agora_io_call(c->svc, it);
    if (rc != AGORA_OK)
        return rc;
    *count = req.count;
    if (users_in_channel)
        *users_in_channel = req.users;
    return AGORA_OK;
}

