/* The local network's parts shared between its files (net/local/). */
#ifndef AGORA_RTC_LOCAL_NETWORK_H
#define AGORA_RTC_LOCAL_NETWORK_H

#include "engine/engine.h"

/* A channel of the hub; a joined connection's c->net points at its channel. */
typedef struct hub_channel hub_channel;

static inline hub_channel *agora_hub_channel_of(const agora_rtc_conn *c)
{
    return c->net;
}

/* The members of a hub channel (I/O thread). */
agora_rtc_conn **agora_hub_members(hub_channel *ch, int *count);

/* local_video.c (I/O thread): the transport's video_send and video_request_keyframe */
void agora_local_video_send(agora_service *svc, agora_rtc_conn *s, agora_video_buf *b);
int agora_local_video_request_keyframe(agora_service *svc, agora_rtc_conn *c, const char *uid);

#endif
