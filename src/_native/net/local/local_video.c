/* The local network's video: a pushed frame goes to every other member of the
 * sender's hub channel, as each subscribed to it (I/O thread). */
#include <pthread.h>
#include <string.h>
#include "agora_rtc/errors.h"
#include "engine/engine.h"
#include "net/local/local_network.h"

void agora_local_video_send(agora_service *svc, agora_rtc_conn *s, agora_video_buf *b)
{
    if (!agora_hub_channel_of(s) || !b)
        return; /* left the channel after the push was accepted */
    int n = 0;
    agora_rtc_conn **members = agora_hub_members(agora_hub_channel_of(s), &n);
    char channel[AGORA_MAX_ID_LEN + 1];
    pthread_mutex_lock(&s->mu);
    memcpy(channel, s->channel_id, sizeof(channel));
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < n; i++)
        if (members[i] != s)
            agora_video_deliver_remote(svc, members[i], s->user_id, channel, b);
    agora_video_count(&s->video.sent_frames);
}

int agora_local_video_request_keyframe(agora_service *svc, agora_rtc_conn *c, const char *uid)
{
    if (!agora_hub_channel_of(c))
        return AGORA_ERR_NOT_READY;
    int n = 0;
    agora_rtc_conn **members = agora_hub_members(agora_hub_channel_of(c), &n);
    for (int i = 0; i < n; i++) {
        agora_rtc_conn *m = members[i];
        if (m != c && strcmp(m->user_id, uid) == 0) {
            agora_video_count(&m->video.intra_requests);
            agora_video_emit(svc, m, EV_INTRA_REQUEST, c->user_id);
            return AGORA_OK;
        }
    }
    return AGORA_ERR_INVALID_ARGUMENT;
}
