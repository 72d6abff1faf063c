/* The in-process `local` network (a transport, transport.h): a hub of
 * channels, run entirely on the I/O thread. Membership and the channels'
 * member and listener lists are only touched here, so they need no locks;
 * observer state is read under conn->mu. */
#include <stdlib.h>
#include <string.h>
#include "net/local/local_network.h"
#include "core/growable.h"

/* A conn array that grows (members, listeners). */
typedef struct conn_list {
    agora_rtc_conn **items;
    int count, cap;
} conn_list;

struct hub_channel {
    hub_channel *next;
    char name[AGORA_MAX_ID_LEN + 1];
    conn_list members;
    conn_list listeners;       /* members with an audio-frame observer */
};

static int conn_list_add(conn_list *l, agora_rtc_conn *c)
{
    void *grown = agora_grow(l->items, l->count, &l->cap, sizeof(*l->items), 8);
    if (!grown)
        return AGORA_ERR_NO_MEMORY;
    l->items = grown;
    l->items[l->count++] = c;
    return 0;
}

static void conn_list_remove(conn_list *l, agora_rtc_conn *c)
{
    for (int i = 0; i < l->count; i++) {
        if (l->items[i] == c) {
            l->items[i] = l->items[--l->count];
            return;
        }
    }
}

/* ---- channels ---- */

/* The service's channels: a list whose head is the hub's slot of svc->net. */
static hub_channel *first_channel(const agora_service *svc)
{
    return svc->net[AGORA_TRANSPORT_LOCAL];
}

static hub_channel *find_channel(agora_service *svc, const char *name, int create)
{
    for (hub_channel *ch = first_channel(svc); ch; ch = ch->next)
        if (strcmp(ch->name, name) == 0)
            return ch;
    if (!create)
        return NULL;
    hub_channel *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return NULL;
    agora_copy_id(ch->name, name);
    ch->next = first_channel(svc);
    svc->net[AGORA_TRANSPORT_LOCAL] = ch;
    return ch;
}

static void channel_free(hub_channel *ch)
{
    free(ch->listeners.items);
    free(ch->members.items);
    free(ch);
}

static void channel_remove(agora_service *svc, hub_channel *ch, agora_rtc_conn *c)
{
    conn_list_remove(&ch->members, c);
    if (ch->members.count > 0)
        return;
    if (first_channel(svc) == ch) {
        svc->net[AGORA_TRANSPORT_LOCAL] = ch->next;
    } else {
        hub_channel *prev = first_channel(svc);
        while (prev && prev->next != ch)
            prev = prev->next;
        if (!prev)
            return;
        prev->next = ch->next;
    }
    channel_free(ch);
}

#define emit agora_io_emit
#define emit_conn_state agora_io_emit_conn_state

static int visible(const agora_rtc_conn *c)
{
    return c->cfg.client_role_type != ROLE_AUDIENCE;
}

#define subscribed agora_io_subscribed

/* ---- handlers ---- */

static void local_join(agora_service *svc, agora_rtc_conn *c)
{
    hub_channel *ch = find_channel(svc, c->channel_id, 1);
    int duplicate = 0;
    for (int i = 0; ch && i < ch->members.count; i++)
        if (strcmp(ch->members.items[i]->user_id, c->user_id) == 0)
            duplicate = 1;
    if (!ch || duplicate || conn_list_add(&ch->members, c) != 0) {
        if (ch && ch->members.count == 0)
            channel_remove(svc, ch, c);
        emit_conn_state(svc, c, EV_CONNECTION_FAILURE, AGORA_CONN_FAILED, REASON_REJECTED_BY_SERVER);
        return;
    }
    c->net = ch;
    c->joined = 1;
    if (c->hub_listening)
        conn_list_add(&ch->listeners, c);
    emit_conn_state(svc, c, EV_CONNECTED, AGORA_CONN_CONNECTED, REASON_JOIN_SUCCESS);
    atomic_store(&c->on_air, 1);
    if (c->net_publishing)
        emit(svc, c, EV_PUBLISH_SUCCESS, NULL, 0, 0, 0);
    agora_video_on_join(svc, c);
    for (int i = 0; i < ch->members.count; i++) {
        agora_rtc_conn *m = ch->members.items[i];
        if (m == c)
            continue;
        if (visible(m)) {
            emit(svc, c, EV_USER_JOINED, m->user_id, 0, 0, 0);
            if (m->net_publishing && subscribed(c, m->user_id))
                emit(svc, c, EV_TRACK_SUBSCRIBED, m->user_id, 0, 0, 0);
        }
        if (visible(c)) {
            emit(svc, m, EV_USER_JOINED, c->user_id, 0, 0, 0);
            if (c->net_publishing && subscribed(m, c->user_id))
                emit(svc, m, EV_TRACK_SUBSCRIBED, c->user_id, 0, 0, 0);
        }
    }
}

static void local_leave(agora_service *svc, agora_rtc_conn *c)
{
    hub_channel *ch = agora_hub_channel_of(c);
    atomic_store(&c->on_air, 0);
    agora_rx_table_clear(&c->rx);
    if (!ch)
        return;
    for (int i = 0; i < ch->members.count; i++) {
        agora_rtc_conn *m = ch->members.items[i];
        if (m == c)
            continue;
        agora_io_end_utterance(svc, m, c->user_id, ch->name);
        agora_rx_table_drop(&m->rx, c->user_id);
        if (visible(c))
            emit(svc, m, EV_USER_LEFT, c->user_id, USER_OFFLINE_QUIT, 0, 0);
    }
    conn_list_remove(&ch->listeners, c);
    channel_remove(svc, ch, c);
    c->net = NULL;
    c->joined = 0;
    emit_conn_state(svc, c, EV_DISCONNECTED, AGORA_CONN_DISCONNECTED, REASON_LEAVE_CHANNEL);
}

/* A frame a member sent: every listener subscribed to it gets a receive job. */
static void local_send_audio(agora_service *svc, io_item *it)
{
    agora_rtc_conn *s = it->conn;
    const agora_sent_frame *f = it->frame;
    hub_channel *ch = agora_hub_channel_of(s);
    if (!ch || !s->net_publishing)
        return;
    for (int i = 0; i < ch->listeners.count; i++) {
        agora_rtc_conn *m = ch->listeners.items[i];
        if (m == s || !subscribed(m, s->user_id))
            continue;
        agora_io_deliver_audio(svc, m, s->user_id, ch->name, f, &s->rx_hint, NULL, NULL);
    }
}

static void local_publish_changed(agora_service *svc, agora_rtc_conn *c, int publish)
{
    if (!agora_hub_channel_of(c)) {
        if (!publish)
            emit(svc, c, EV_UNPUBLISHED, NULL, 0, 0, 0);
        return; /* publish success is reported on joining */
    }
    emit(svc, c, publish ? EV_PUBLISH_SUCCESS : EV_UNPUBLISHED, NULL, 0, 0, 0);
    hub_channel *ch = agora_hub_channel_of(c);
    for (int i = 0; i < ch->members.count; i++) {
        agora_rtc_conn *m = ch->members.items[i];
        if (m == c || !subscribed(m, c->user_id))
            continue;
        if (publish) {
            emit(svc, m, EV_TRACK_SUBSCRIBED, c->user_id, 0, 0, 0);
        } else {
            agora_io_end_utterance(svc, m, c->user_id, ch->name);
            agora_rx_table_drop(&m->rx, c->user_id);
            emit(svc, m, EV_TRACK_STATE, c->user_id, REMOTE_AUDIO_STATE_STOPPED,
                 REMOTE_AUDIO_REASON_REMOTE_MUTED, 0);
        }
    }
}

static int hub_member_count(const agora_rtc_conn *c)
{
    return agora_hub_channel_of(c) ? agora_hub_channel_of(c)->members.count : 0;
}

/* A key the member's user pressed (IO_DTMF: key, duration_ms big-endian) to every
 * other member, as the RTP transport reports a phone's (EV_DTMF). */
static void local_send_dtmf(agora_service *svc, agora_rtc_conn *s, const hub_channel *ch,
                            const uint8_t *item)
{
    for (int i = 0; i < ch->members.count; i++) {
        agora_rtc_conn *m = ch->members.items[i];
        if (m != s)
            agora_io_emit(svc, m, EV_DTMF, s->user_id, item[0], (item[1] << 8) | item[2], 0);
    }
}

/* A stream message or audio metadata (IO_MESSAGE, IO_METADATA) to every other member. */
static void local_send_data(agora_service *svc, io_item *it)
{
    agora_rtc_conn *s = it->conn;
    hub_channel *ch = agora_hub_channel_of(s);
    if (!ch)
        return;
    if (it->kind == IO_DTMF) {
        if (it->length == 3)
            local_send_dtmf(svc, s, ch, it->data);
        return;
    }
    int kind = it->kind == IO_MESSAGE ? EV_STREAM_MESSAGE : EV_METADATA;
    for (int i = 0; i < ch->members.count; i++) {
        agora_rtc_conn *m = ch->members.items[i];
        if (m == s)
            continue;
        agora_event *ev = agora_event_new(kind, m, it->length);
        if (!ev)
            continue;
        agora_copy_id(ev->uid, s->user_id);
        ev->a = it->kind == IO_MESSAGE ? it->arg : DEFAULT_STREAM_ID;
        memcpy(ev->data, it->data, it->length);
        agora_io_post_event(svc, ev);
    }
}

static int local_has_publisher(const agora_rtc_conn *c, const char *uid)
{
    if (!agora_hub_channel_of(c))
        return 0;
    for (int i = 0; i < agora_hub_channel_of(c)->members.count; i++) {
        const agora_rtc_conn *m = agora_hub_channel_of(c)->members.items[i];
        if (m != c && strcmp(m->user_id, uid) == 0)
            return m->net_publishing;
    }
    return 0;
}

static void local_subscribe_all(agora_service *svc, agora_rtc_conn *c)
{
    for (int i = 0; agora_hub_channel_of(c) && i < agora_hub_channel_of(c)->members.count; i++) {
        agora_rtc_conn *m = agora_hub_channel_of(c)->members.items[i];
        if (m != c && m->net_publishing && !subscribed(c, m->user_id))
            emit(svc, c, EV_TRACK_SUBSCRIBED, m->user_id, 0, 0, 0);
    }
}

static void local_listen_changed(agora_rtc_conn *c, int on)
{
    if (!agora_hub_channel_of(c))
        return; /* joining adds a listening connection to its channel's listeners */
    if (on)
        conn_list_add(&agora_hub_channel_of(c)->listeners, c);
    else
        conn_list_remove(&agora_hub_channel_of(c)->listeners, c);
}

static void local_loop_exit(agora_service *svc)
{
    while (first_channel(svc)) {
        hub_channel *n = first_channel(svc)->next;
        channel_free(first_channel(svc));
        svc->net[AGORA_TRANSPORT_LOCAL] = n;
    }
}

static int local_remote_audio_stats(const agora_rtc_conn *c, agora_remote_audio_stats *out, int n,
                                    int max, int *users)
{
    (void)out, (void)max;
    *users = hub_member_count(c);
    return n; /* the receive paths are the whole story */
}

agora_rtc_conn **agora_hub_members(hub_channel *ch, int *count)
{
    *count = ch->members.count;
    return ch->members.items;
}

static agora_rtc_conn **local_channel_members(const agora_rtc_conn *c, int *count)
{
    *count = 0;
    return agora_hub_channel_of(c) ? agora_hub_members(agora_hub_channel_of(c), count) : NULL;
}

const agora_transport_ops agora_local_transport = {
    .name = "local",
    .kind = AGORA_TRANSPORT_LOCAL,
    .round_prefill = 1,
    .carries_data = 1,
    .fans_out_audio = 1,
    .join = local_join,
    .send_audio = local_send_audio,
    .send_data = local_send_data,
    .listen_changed = local_listen_changed,
    .leave = local_leave,
    .publish_changed = local_publish_changed,
    .has_publisher = local_has_publisher,
    .subscribe_all = local_subscribe_all,
    .remote_audio_stats = local_remote_audio_stats,
    .carries_raw_video = 1,
    .channel_members = local_channel_members,
    .video_send = agora_local_video_send,
    .video_request_keyframe = agora_local_video_request_keyframe,
    .on_loop_exit = local_loop_exit,
};
