/* A SIP user agent on libre (agora_rtc/sip.h).
 *
 * Threads: the agent's thread owns a libre context of its own
 * (re_thread_init) and runs re_main; everything libre is touched there only.
 * Public calls post a command (mqueue) and wait on the command's condition
 * variable until the loop has carried it out. Events go the other way
 * through a ring under a mutex (agent->mu): bounded for what a peer can send
 * at will (INVITEs, re-INVITEs); a call's ESTABLISHED / CLOSED / TRANSFER,
 * at most one each per call, are always queued (the ring grows), so the
 * control plane never loses the end of a call when it falls behind. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "agora_rtc/errors.h"
#include "agora_rtc/rtp_transport.h"
#include "agora_rtc/sip.h"
#include "core/wait_deadline.h"
#include "net/sip/sip_offer.h"
#include "net/sip/sip_sdes.h"

#define SIP_HASH_SIZE 32
#define INVITE_RING_TIMEOUT_MS 60000 /* an unanswered incoming call is rejected 480 */

enum { CMD_ANSWER = 1, CMD_PROGRESS, CMD_REJECT, CMD_DIAL, CMD_HANGUP, CMD_TRANSFER, CMD_STATS,
       CMD_STOP };

typedef struct sip_command {
    int kind;
    uint32_t call;
    int status;
    const char *text;           /* media ip (ANSWER, DIAL) */
    const char *uri;            /* DIAL */
    uint16_t port;
    agora_sip_stats *stats;
    int result;
    int done;
    pthread_mutex_t *mu;
    pthread_cond_t *cond;
} sip_command;

struct agora_sip_agent;

/* One call (libre memory: mem_zalloc, freed by mem_deref; loop thread only). */
typedef struct sip_call {
    struct le le;
    struct agora_sip_agent *agent;
    uint32_t id;
    struct sipsess *sess;
    struct sdp_session *sdp;
    struct sdp_media *media;
    struct tmr ring_timer;
    struct sip_request *refer;          /* our REFER in flight (transfer) */
    int incoming, established, ringing; /* ringing: incoming, not answered yet */
    int early_media;                    /* ours: a 183 brought the callee's media */
    /* SRTP (SDES): srtp_suite 0 while plain. local[0] is our key (and, in our offers, the
     * tag-1 _80 line; local[1] the tag-2 _32 line); remote_key the remote's. */
    int srtp_suite;
    agora_sdes_crypto local[2];
    uint8_t remote_key[AGORA_SIP_SRTP_KEY_LEN];
    int srtp_refused;                   /* ours, mandatory: the answer had no key of ours */
} sip_call;

struct agora_sip_agent {
    /* loop thread */
    struct sip *sip;
    struct sipsess_sock *sock;
    struct sip_lsnr *lsnr;
    struct sipreg *reg;         /* NULL: no registrar */
    char password[128];
    char registrar[128];
    int registrar_tls;          /* REGISTER / keepalives over TLS */
    int expires;
    int keepalive_s;            /* 0: no keepalive */
    int srtp;                   /* enum agora_sip_srtp */
    struct tmr keepalive_timer;
    struct sip_request *keepalive; /* the OPTIONS in flight */
    struct dnsc *dnsc;
    struct tls *tls;            /* NULL: no TLS transport */
    char *tls_cert_pem, *tls_key_pem; /* until the loop took them (then wiped, freed) */
    struct mqueue *mq;
    struct list calls;
    struct sa laddr;
    char user[64];
    uint32_t next_id;
    agora_sip_stats st;
    /* shared */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;         /* events queued, start done */
    int started, start_rc;
    int closing;
    agora_sip_event *events;     /* a ring of ev_cap */
    int ev_head, ev_count, ev_cap;
    char listen_ip[64];
    uint16_t listen_port;
    uint16_t tls_port;
};

static pthread_once_t libre_once = PTHREAD_ONCE_INIT;
static int libre_rc;

static void libre_init_once(void)
{
    libre_rc = libre_init();
}

/* ------------------------------------------------------------ events */

/* Double the ring (its events move to the front, in order); under a->mu. */
static int grow_events(struct agora_sip_agent *a)
{
    int cap = a->ev_cap * 2;
    agora_sip_event *events = malloc((size_t)cap * sizeof(*events));
    if (!events)
        return -1;
    for (int i = 0; i < a->ev_count; i++)
        events[i] = a->events[(a->ev_head + i) % a->ev_cap];
    free(a->events);
    a->events = events;
    a->ev_cap = cap;
    a->ev_head = 0;
    return 0;
}

/* Must the control plane see this event (one per call at most)? */
static int event_is_vital(int kind)
{
    return kind == AGORA_SIP_EV_ESTABLISHED || kind == AGORA_SIP_EV_CLOSED ||
           kind == AGORA_SIP_EV_TRANSFER;
}

/* Queue an event; 0 when it was not queued: the ring holds
 * AGORA_SIP_EVENT_QUEUE events already and the event is not vital (or memory
 * ran out). */
static int emit(struct agora_sip_agent *a, const agora_sip_event *ev)
{
    pthread_mutex_lock(&a->mu);
    int ok = a->ev_count < AGORA_SIP_EVENT_QUEUE || event_is_vital(ev->kind);
    if (ok && a->ev_count == a->ev_cap)
        ok = grow_events(a) == 0;
    if (ok) {
        a->events[(a->ev_head + a->ev_count) % a->ev_cap] = *ev;
        a->ev_count++;
        pthread_cond_broadcast(&a->cond);
    }
    pthread_mutex_unlock(&a->mu);
    return ok;
}

static void copy_pl(char *dst, size_t size, const struct pl *pl)
{
    dst[0] = '\0';
    if (pl && pl->p && pl->l)
        (void)pl_strcpy(pl, dst, size); /* truncates */
}

/* The call's SRTP keys into an event with media. */
static void fill_srtp(const sip_call *c, agora_sip_event *ev)
{
    ev->srtp_suite = c->srtp_suite;
    if (c->srtp_suite) {
        memcpy(ev->srtp_remote_key, c->remote_key, sizeof(ev->srtp_remote_key));
        memcpy(ev->srtp_local_key, c->local[0].key, sizeof(ev->srtp_local_key));
    }
}

static void emit_call(sip_call *c, int kind, int status, const char *reason)
{
    agora_sip_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.call = c->id;
    ev.status = status;
    if (kind == AGORA_SIP_EV_ESTABLISHED || kind == AGORA_SIP_EV_MEDIA ||
        (kind == AGORA_SIP_EV_PROGRESS && c->early_media)) {
        (void)agora_sip_sdp_media(c->media, &ev);
        fill_srtp(c, &ev);
    }
    if (reason)
        snprintf(ev.reason, sizeof(ev.reason), "%s", reason);
    (void)emit(c->agent, &ev);
}

/* ------------------------------------------------------------ calls */

static void call_destructor(void *arg)
{
    sip_call *c = arg;
    tmr_cancel(&c->ring_timer);
    list_unlink(&c->le);
    mem_deref(c->refer);
    mem_deref(c->sess);
    mem_deref(c->sdp);
    volatile uint8_t *keys = (volatile uint8_t *)c->local; /* wiped: not left in freed memory */
    for (size_t i = 0; i < sizeof(c->local); i++)
        keys[i] = 0;
    keys = c->remote_key;
    for (size_t i = 0; i < sizeof(c->remote_key); i++)
        keys[i] = 0;
}

static sip_call *find_call(struct agora_sip_agent *a, uint32_t id)
{
    for (struct le *le = list_head(&a->calls); le; le = le->next) {
        sip_call *c = le->data;
        if (c->id == id)
            return c;
    }
    return NULL;
}

/* A call with its SDP session: one audio stream, PCMU and PCMA. */
static int call_new(struct agora_sip_agent *a, int incoming, sip_call **out)
{
    sip_call *c = mem_zalloc(sizeof(*c), call_destructor);
    if (!c)
        return ENOMEM;
    c->agent = a;
    c->incoming = incoming;
    tmr_init(&c->ring_timer);
    int err = agora_sip_sdp_new(&c->sdp, &c->media, &a->laddr, a->srtp);
    if (!err && a->srtp != AGORA_SIP_SRTP_OFF) { /* our keys: tag 1 _80, tag 2 _32 */
        c->local[0] = (agora_sdes_crypto){.tag = 1, .suite = AGORA_SDES_SUITE_80};
        c->local[1] = (agora_sdes_crypto){.tag = 2, .suite = AGORA_SDES_SUITE_32};
        err = agora_sdes_random_key(c->local[0].key);
        if (!err)
            err = agora_sdes_random_key(c->local[1].key);
    }
    if (err) {
        mem_deref(c);
        return err;
    }
    if (++a->next_id == 0)
        a->next_id = 1;
    c->id = a->next_id;
    list_append(&a->calls, &c->le, c);
    a->st.calls++;
    *out = c;
    return 0;
}

/* The call is over: CLOSED, then it is freed. */
static void call_end(sip_call *c, int status, const char *reason)
{
    emit_call(c, AGORA_SIP_EV_CLOSED, status, reason);
    c->agent->st.calls--;
    mem_deref(c);
}

static int set_local_media(sip_call *c, const char *ip, uint16_t port)
{
    struct sa media;
    if (sa_set_str(&media, ip, port))
        return EINVAL;
    sdp_media_set_laddr(c->media, &media);
    sdp_media_set_lport(c->media, port);
    return 0;
}

/* ---- SRTP (SDES) negotiation (loop thread) ---- */

/* A re-INVITE of an SRTP call (found, remote: its first usable a=crypto line). The phone
 * may re-key (RFC 4568 7.1.4: a new key, or a new suite): the call takes its new key (the
 * MEDIA event carries it; the line re-opens the receive side under it). Our key stays
 * unless the suite changes: a key is never used under two suites, so a new one is drawn. */
static int srtp_take_reoffer(sip_call *c, int found, const agora_sdes_crypto *remote)
{
    if (found != 1)
        return -1;
    agora_sdes_crypto ours = c->local[0]; /* taken only when the answer can carry it */
    ours.tag = remote->tag;               /* our answer under the re-offer's tag */
    if (remote->suite != c->srtp_suite) {
        ours.suite = remote->suite;
        if (agora_sdes_random_key(ours.key))
            return -1;
    }
    if (agora_sdes_set_local(c->media, &ours, 0))
        return -1;
    c->local[0] = ours;
    c->srtp_suite = remote->suite;
    memcpy(c->remote_key, remote->key, sizeof(c->remote_key));
    return 0;
}

/* The remote's offer (INVITE; reoffer: a re-INVITE): 0 when it may be answered (our
 * a=crypto line set when SRTP is agreed), -1 when it must be refused (488): SRTP
 * mandatory here or in the offer's RTP/SAVP profile but no usable key, unusable a=crypto
 * lines, a re-INVITE of an SRTP call without a usable key (SRTP never falls back to plain
 * mid-call) or one bringing keys to a plain call (a plain call stays plain). */
static int srtp_take_offer(sip_call *c, int reoffer)
{
    int policy = c->agent->srtp;
    if (policy == AGORA_SIP_SRTP_OFF)
        return 0; /* RTP/AVP only (libre refuses RTP/SAVP), a=crypto ignored */
    agora_sdes_crypto remote;
    int found = agora_sdes_pick(c->media, 0, &remote);
    int savp = !str_casecmp(sdp_media_proto(c->media), "RTP/SAVP");
    if (c->srtp_suite)
        return srtp_take_reoffer(c, found, &remote);
    if (reoffer) /* a plain call stays plain */
        return found == 0 && !savp ? 0 : -1;
    if (found < 0 || (found == 0 && (savp || policy == AGORA_SIP_SRTP_MANDATORY)))
        return -1;
    if (found == 0)
        return 0; /* optional: plain RTP */
    c->local[0].tag = remote.tag; /* our answer: the offer's tag and suite, our key */
    c->local[0].suite = remote.suite;
    if (agora_sdes_set_local(c->media, &c->local[0], 0))
        return -1;
    c->srtp_suite = remote.suite;
    memcpy(c->remote_key, remote.key, sizeof(c->remote_key));
    return 0;
}

/* Our offer (dial): both our a=crypto lines. */
static int srtp_make_offer(sip_call *c)
{
    if (c->agent->srtp == AGORA_SIP_SRTP_OFF)
        return 0;
    int err = agora_sdes_set_local(c->media, &c->local[0], 0);
    return err ? err : agora_sdes_set_local(c->media, &c->local[1], 1);
}

/* The answer to our offer: the remote's line with one of our tags and its suite picks
 * our key; none (or not SRTP) in mandatory mode: the call is refused. */
static void srtp_take_answer(sip_call *c)
{
    if (c->agent->srtp == AGORA_SIP_SRTP_OFF || c->srtp_suite)
        return;
    agora_sdes_crypto remote;
    for (int i = 0; i < 2; i++) {
        if (agora_sdes_pick(c->media, c->local[i].tag, &remote) == 1 &&
            remote.suite == c->local[i].suite) {
            if (i)
                c->local[0] = c->local[1];
            (void)agora_sdes_set_local(c->media, &c->local[0], 0); /* re-INVITEs: this key */
            c->srtp_suite = remote.suite;
            memcpy(c->remote_key, remote.key, sizeof(c->remote_key));
            return;
        }
    }
    if (c->agent->srtp == AGORA_SIP_SRTP_MANDATORY)
        c->srtp_refused = 1;
    else
        sdp_media_del_lattr(c->media, "crypto");
}

/* ---- libre session handlers (loop thread) ---- */

/* A re-INVITE (or an offer in an ACK): answer with the same media. */
static int on_offer(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
    sip_call *c = arg;
    int err = sdp_decode(c->sdp, msg->mb, true);
    if (err)
        return err;
    agora_sip_event ev;
    memset(&ev, 0, sizeof(ev));
    if (agora_sip_sdp_media(c->media, &ev) || srtp_take_offer(c, 1))
        return EPROTO; /* no common codec any more, SRTP refused: libre answers 488 */
    err = agora_sip_sdp_answer_ptime(c->media);
    if (!err)
        err = sdp_encode(descp, c->sdp, false);
    if (!err)
        emit_call(c, AGORA_SIP_EV_MEDIA, 0, NULL);
    return err;
}

/* The answer to our INVITE (2xx, or 18x with SDP). */
static int on_answer(const struct sip_msg *msg, void *arg)
{
    sip_call *c = arg;
    int err = sdp_decode(c->sdp, msg->mb, false);
    if (!err)
        srtp_take_answer(c);
    return err;
}

static void on_progress(const struct sip_msg *msg, void *arg)
{
    sip_call *c = arg;
    if (msg->scode == 183 && mbuf_get_left(msg->mb) && !c->early_media) {
        c->early_media = !sdp_decode(c->sdp, msg->mb, false);
        if (c->early_media) {
            srtp_take_answer(c);
            c->early_media = !c->srtp_refused;
        }
    }
    emit_call(c, AGORA_SIP_EV_PROGRESS, msg->scode, NULL);
}

static void on_established(const struct sip_msg *msg, void *arg)
{
    (void)msg;
    sip_call *c = arg;
    c->established = 1;
    c->ringing = 0;
    tmr_cancel(&c->ring_timer);
    if (c->srtp_refused) { /* ours, SRTP mandatory, answered without our key: BYE */
        call_end(c, 488, "the callee did not agree to SRTP");
        return;
    }
    emit_call(c, AGORA_SIP_EV_ESTABLISHED, 200, NULL);
}

static void on_close(int err, const struct sip_msg *msg, void *arg)
{
    sip_call *c = arg;
    char reason[AGORA_SIP_MAX_TEXT];
    int status = 0;
    if (err == ECONNRESET) { /* libre: the remote ended the dialog (BYE) */
        snprintf(reason, sizeof(reason), "BYE");
    } else if (err) {
        snprintf(reason, sizeof(reason), "%s", strerror(err));
        if (err == ETIMEDOUT)
            status = 408;
    } else if (msg && !msg->req) {
        status = msg->scode;
        copy_pl(reason, sizeof(reason), &msg->reason);
    } else if (msg && !pl_strcmp(&msg->met, "CANCEL")) {
        status = 487;
        snprintf(reason, sizeof(reason), "CANCEL");
    } else {
        snprintf(reason, sizeof(reason), "BYE");
    }
    call_end(c, status, reason);
}

static void reject_now(struct agora_sip_agent *a, const struct sip_msg *msg, uint16_t status,
                       const char *reason)
{
    (void)sip_treply(NULL, a->sip, msg, status, reason);
}

static void on_ring_timeout(void *arg)
{
    sip_call *c = arg;
    (void)sipsess_reject(c->sess, 480, "Temporarily Unavailable", NULL);
    call_end(c, 480, "not answered in time");
}

/* An INVITE outside a dialog. */
static void on_invite(const struct sip_msg *msg, void *arg)
{
    struct agora_sip_agent *a = arg;
    a->st.invites++;
    if (!mbuf_get_left(msg->mb)) {
        a->st.rejected_offers++;
        reject_now(a, msg, 488, "Offer Required");
        return;
    }
    sip_call *c;
    if (call_new(a, 1, &c)) {
        reject_now(a, msg, 500, "Server Internal Error");
        return;
    }
    agora_sip_event ev;
    memset(&ev, 0, sizeof(ev));
    if (sdp_decode(c->sdp, msg->mb, true) || agora_sip_sdp_media(c->media, &ev) || !ev.remote_port ||
        !ev.remote_ip[0] || srtp_take_offer(c, 0)) {
        a->st.rejected_offers++;
        a->st.calls--;
        mem_deref(c);
        reject_now(a, msg, 488, "Not Acceptable Here");
        return;
    }
    int err = sipsess_accept(&c->sess, a->sock, msg, 180, "Ringing", a->user, "application/sdp",
                             NULL, NULL, NULL, false, on_offer, on_answer, on_established, NULL,
                             NULL, on_close, c, "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n");
    if (err) {
        a->st.calls--;
        mem_deref(c);
        reject_now(a, msg, 500, "Server Internal Error");
        return;
    }
    c->ringing = 1;
    ev.kind = AGORA_SIP_EV_INCOMING;
    ev.call = c->id;
    fill_srtp(c, &ev);
    copy_pl(ev.from_user, sizeof(ev.from_user), &msg->from.uri.user);
    copy_pl(ev.to_user, sizeof(ev.to_user), &msg->uri.user);
    if (!emit(a, &ev)) {
        a->st.rejected_busy++;
        (void)sipsess_reject(c->sess, 503, "Service Unavailable", "Retry-After: 5\r\n");
        a->st.calls--;
        mem_deref(c);
        return;
    }
    tmr_start(&c->ring_timer, INVITE_RING_TIMEOUT_MS, on_ring_timeout, c);
}

/* Requests outside a dialog that no session takes: OPTIONS. */
static bool on_request(const struct sip_msg *msg, void *arg)
{
    struct agora_sip_agent *a = arg;
    if (pl_strcmp(&msg->met, "OPTIONS"))
        return false;
    a->st.options++;
    (void)sip_treplyf(NULL, NULL, a->sip, msg, false, 200, "OK",
                      "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"
                      "Accept: application/sdp\r\n"
                      "Content-Length: 0\r\n\r\n");
    return true;
}

/* ---- commands (loop thread) ---- */

/* 183 Session Progress (early media) or 200 OK to a ringing call, with our SDP
 * answer: the media at cmd->text:cmd->port. */
static int cmd_answer(struct agora_sip_agent *a, sip_command *cmd)
{
    sip_call *c = find_call(a, cmd->call);
    if (!c || !c->ringing)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (set_local_media(c, cmd->text, cmd->port))
        return AGORA_ERR_INVALID_ARGUMENT;
    struct mbuf *desc = NULL;
    int err = agora_sip_sdp_answer_ptime(c->media);
    if (!err)
        err = sdp_encode(&desc, c->sdp, false);
    if (!err)
        err = cmd->kind == CMD_PROGRESS
                  ? sipsess_progress(c->sess, 183, "Session Progress", desc, NULL)
                  : sipsess_answer(c->sess, 200, "OK", desc, NULL);
    mem_deref(desc);
    if (err)
        return AGORA_ERR_FAILED;
    if (cmd->kind == CMD_PROGRESS)
        return AGORA_OK; /* still ringing: answer or reject follows */
    c->ringing = 0;
    tmr_cancel(&c->ring_timer);
    return AGORA_OK;
}

static int cmd_dial(struct agora_sip_agent *a, sip_command *cmd)
{
    struct pl pl;
    struct uri uri;
    pl_set_str(&pl, cmd->uri);
    if (uri_decode(&uri, &pl) || (pl_strcasecmp(&uri.scheme, "sip") &&
                                  (pl_strcasecmp(&uri.scheme, "sips") || !a->tls)))
        return AGORA_ERR_INVALID_ARGUMENT;
    sip_call *c;
    if (call_new(a, 0, &c))
        return AGORA_ERR_NO_MEMORY;
    if (set_local_media(c, cmd->text, cmd->port)) {
        a->st.calls--;
        mem_deref(c);
        return AGORA_ERR_INVALID_ARGUMENT;
    }
    char from[256];
    re_snprintf(from, sizeof(from), "sip:%s@%J", a->user, &a->laddr);
    struct mbuf *desc = NULL;
    int err = srtp_make_offer(c);
    if (!err)
        err = sdp_encode(&desc, c->sdp, true);
    if (!err)
        err = sipsess_connect(&c->sess, a->sock, cmd->uri, NULL, from, a->user, NULL, 0,
                              "application/sdp", desc, NULL, NULL, false, on_offer, on_answer,
                              on_progress, on_established, NULL, NULL, on_close, c,
                              "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n");
    mem_deref(desc);
    if (err) {
        a->st.calls--;
        mem_deref(c);
        return AGORA_ERR_FAILED;
    }
    cmd->call = c->id;
    return AGORA_OK;
}

static int cmd_hangup(struct agora_sip_agent *a, sip_command *cmd)
{
    sip_call *c = find_call(a, cmd->call);
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (cmd->kind == CMD_REJECT) {
        if (!c->ringing)
            return AGORA_ERR_INVALID_STATE;
        (void)sipsess_reject(c->sess, (uint16_t)cmd->status,
                             cmd->status == 603 ? "Decline" :
                             cmd->status == 486 ? "Busy Here" :
                             cmd->status == 404 ? "Not Found" : "Rejected", NULL);
        char reason[32];
        snprintf(reason, sizeof(reason), "rejected %d", cmd->status);
        call_end(c, cmd->status, reason);
        return AGORA_OK;
    }
    if (c->ringing)
        (void)sipsess_reject(c->sess, 486, "Busy Here", NULL);
    /* otherwise freeing the session sends BYE (established) or CANCEL (ours, ringing) */
    call_end(c, 0, "hung up");
    return AGORA_OK;
}

/* The answer to our REFER: 202 Accepted (the phone calls the target) or an
 * error. A blind transfer: on 2xx we leave the call ourselves (BYE) rather than
 * wait for the phone's BYE, which some phones send late or never. */
static void on_refer_response(int err, const struct sip_msg *msg, void *arg)
{
    sip_call *c = arg;
    if (msg && msg->scode < 200)
        return;
    c->refer = NULL; /* libre frees the request after its final answer */
    int status = err ? (err == ETIMEDOUT ? 408 : 503) : msg->scode;
    char reason[AGORA_SIP_MAX_TEXT];
    if (err)
        snprintf(reason, sizeof(reason), "%s", strerror(err));
    else
        copy_pl(reason, sizeof(reason), &msg->reason);
    emit_call(c, AGORA_SIP_EV_TRANSFER, status, reason);
    if (status >= 200 && status < 300)
        call_end(c, 0, "transferred"); /* frees the session: BYE */
}

/* Ask the phone to call the target instead (RFC 3515 REFER in the call's dialog). */
static int cmd_transfer(struct agora_sip_agent *a, sip_command *cmd)
{
    sip_call *c = find_call(a, cmd->call);
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (!c->established || c->refer)
        return AGORA_ERR_INVALID_STATE;
    struct pl pl;
    struct uri uri;
    pl_set_str(&pl, cmd->uri);
    if (uri_decode(&uri, &pl) || pl_strcasecmp(&uri.scheme, "sip"))
        return AGORA_ERR_INVALID_ARGUMENT;
    int err = sip_drequestf(&c->refer, a->sip, true, "REFER", sipsess_dialog(c->sess), 0, NULL,
                            NULL, on_refer_response, c,
                            "Refer-To: <%s>\r\nReferred-By: <sip:%s@%J>\r\n"
                            "Content-Length: 0\r\n\r\n", cmd->uri, a->user, &a->laddr);
    return err ? AGORA_ERR_FAILED : AGORA_OK;
}

static void on_command(int id, void *data, void *arg)
{
    struct agora_sip_agent *a = arg;
    sip_command *cmd = data;
    int rc = AGORA_OK;
    switch (id) {
    case CMD_ANSWER:
    case CMD_PROGRESS: rc = cmd_answer(a, cmd); break;
    case CMD_DIAL: rc = cmd_dial(a, cmd); break;
    case CMD_TRANSFER: rc = cmd_transfer(a, cmd); break;
    case CMD_REJECT:
    case CMD_HANGUP: rc = cmd_hangup(a, cmd); break;
    case CMD_STATS: *cmd->stats = a->st; break;
    case CMD_STOP: {
        struct le *le;
        while ((le = list_head(&a->calls)) != NULL)
            call_end(le->data, 0, "agent closed");
        re_cancel();
        break;
    }
    default: rc = AGORA_ERR_INVALID_ARGUMENT; break;
    }
    pthread_mutex_lock(cmd->mu);
    cmd->result = rc;
    cmd->done = 1;
    pthread_cond_broadcast(cmd->cond);
    pthread_mutex_unlock(cmd->mu);
}

/* ------------------------------------------------------------ the loop */

static void started(struct agora_sip_agent *a, int rc)
{
    pthread_mutex_lock(&a->mu);
    a->started = 1;
    a->start_rc = rc;
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->mu);
}

/* ---- registration (loop thread) ---- */

static int on_auth(char **username, char **password, const char *realm, void *arg)
{
    (void)realm;
    struct agora_sip_agent *a = arg;
    int err = str_dup(username, a->user);
    if (!err)
        err = str_dup(password, a->password);
    return err;
}

static void on_register_response(int err, const struct sip_msg *msg, void *arg)
{
    struct agora_sip_agent *a = arg;
    agora_sip_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = AGORA_SIP_EV_REGISTERED;
    if (err) {
        ev.status = err == ETIMEDOUT ? 408 : 503;
        snprintf(ev.reason, sizeof(ev.reason), "%s", strerror(err));
    } else {
        ev.status = msg->scode;
        copy_pl(ev.reason, sizeof(ev.reason), &msg->reason);
    }
    if (ev.status >= 200) /* 401/407 answered by libre with our credentials are not final */
        (void)emit(a, &ev);
}

/* The registrar's request URI: libre picks the transport from it. */
static void registrar_uri(const struct agora_sip_agent *a, char *uri, size_t size)
{
    re_snprintf(uri, size, "sip:%s%s", a->registrar, a->registrar_tls ? ";transport=tls" : "");
}

static int start_register(struct agora_sip_agent *a)
{
    char reg_uri[160], aor[256];
    registrar_uri(a, reg_uri, sizeof(reg_uri));
    /* the AOR's domain: the registrar without its port */
    char domain[128];
    snprintf(domain, sizeof(domain), "%s", a->registrar);
    char *colon = strrchr(domain, ':');
    if (colon && !strchr(domain, ']') && strchr(domain, ':') == colon)
        *colon = '\0';
    re_snprintf(aor, sizeof(aor), "sip:%s@%s", a->user, domain);
    return sipreg_register(&a->reg, a->sip, reg_uri, aor, NULL, aor, (uint32_t)a->expires, a->user,
                           NULL, 0, 0, on_auth, a, false, on_register_response, a, NULL, NULL);
}

/* OPTIONS keepalives to the registrar (out of any dialog; one in flight at a time). */
static void on_keepalive_response(int err, const struct sip_msg *msg, void *arg)
{
    struct agora_sip_agent *a = arg;
    if (!err && msg->scode < 200)
        return;
    a->keepalive = NULL; /* libre frees the finished request */
    a->st.keepalive_status = err ? 408 : msg->scode;
    if (!err)
        a->st.keepalives_answered++;
}

static void send_keepalive(void *arg)
{
    struct agora_sip_agent *a = arg;
    tmr_start(&a->keepalive_timer, (uint64_t)a->keepalive_s * 1000, send_keepalive, a);
    if (a->keepalive)
        return; /* the last one still waits for its answer (libre times it out in 32 s) */
    char uri[160];
    registrar_uri(a, uri, sizeof(uri));
    if (!sip_requestf(&a->keepalive, a->sip, true, "OPTIONS", uri, NULL, NULL, NULL,
                      on_keepalive_response, a,
                      "From: <sip:%s@%J>;tag=%x%x\r\n"
                      "To: <%s>\r\n"
                      "Call-ID: %x%x@agora_rtc\r\n"
                      "CSeq: 1 OPTIONS\r\n"
                      "Content-Length: 0\r\n\r\n",
                      a->user, &a->laddr, rand_u32(), rand_u32(), uri, rand_u32(), rand_u32()))
        a->st.keepalives_sent++;
}

static void release_stack(struct agora_sip_agent *a)
{
    tmr_cancel(&a->keepalive_timer);
    a->keepalive = mem_deref(a->keepalive);
    a->reg = mem_deref(a->reg); /* unregisters (REGISTER with Expires 0) */
    a->lsnr = mem_deref(a->lsnr);
    a->sock = mem_deref(a->sock);
    if (a->sip)
        sip_close(a->sip, true);
    a->sip = mem_deref(a->sip);
    a->dnsc = mem_deref(a->dnsc);
    a->tls = mem_deref(a->tls);
    a->mq = mem_deref(a->mq);
}

/* Free a PEM copy, wiped first (the private key). */
static void free_secret(char **text)
{
    if (!*text)
        return;
    volatile char *v = *text;
    while (*v)
        *v++ = '\0';
    free(*text);
    *text = NULL;
}

/* The TLS transport on listen_ip:tls_port with the configured certificate. */
static int start_tls(struct agora_sip_agent *a)
{
    struct sa tls_addr;
    int err = tls_alloc(&a->tls, TLS_METHOD_SSLV23, NULL, NULL);
    if (!err)
        err = tls_set_certificate_pem(a->tls, a->tls_cert_pem, strlen(a->tls_cert_pem),
                                      a->tls_key_pem, strlen(a->tls_key_pem));
    if (!err)
        err = sa_set_str(&tls_addr, a->listen_ip, a->tls_port);
    if (!err)
        err = sip_transp_add(a->sip, SIP_TRANSP_TLS, &tls_addr, a->tls);
    if (!err)
        err = sip_transp_laddr(a->sip, &tls_addr, SIP_TRANSP_TLS, NULL);
    if (!err)
        a->tls_port = sa_port(&tls_addr);
    return err;
}

static void *agent_thread(void *arg)
{
    struct agora_sip_agent *a = arg;
    if (re_thread_init()) {
        started(a, AGORA_ERR_FAILED);
        return NULL;
    }
    int rc = AGORA_ERR_FAILED;
    struct sa ns[4];
    uint32_t nsn = 4;
    char domain[64] = "";
    if (dns_srv_get(domain, sizeof(domain), ns, &nsn))
        nsn = 0;
    if (dnsc_alloc(&a->dnsc, NULL, ns, nsn) ||
        sip_alloc(&a->sip, a->dnsc, 32, 32, 32, "agora_rtc", NULL, NULL) ||
        sa_set_str(&a->laddr, a->listen_ip, a->listen_port) ||
        sip_transp_add(a->sip, SIP_TRANSP_UDP, &a->laddr) ||
        sip_transp_laddr(a->sip, &a->laddr, SIP_TRANSP_UDP, NULL) ||
        (a->tls_cert_pem && start_tls(a)) ||
        sipsess_listen(&a->sock, a->sip, SIP_HASH_SIZE, on_invite, a) ||
        sip_listen(&a->lsnr, a->sip, true, on_request, a) ||
        mqueue_alloc(&a->mq, on_command, a) ||
        (a->registrar[0] && start_register(a))) {
        free_secret(&a->tls_cert_pem);
        free_secret(&a->tls_key_pem);
        release_stack(a);
        re_thread_close();
        started(a, rc);
        return NULL;
    }
    a->listen_port = sa_port(&a->laddr);
    free_secret(&a->tls_cert_pem); /* libre's TLS context holds its own copy */
    free_secret(&a->tls_key_pem);
    if (a->keepalive_s > 0)
        tmr_start(&a->keepalive_timer, (uint64_t)a->keepalive_s * 1000, send_keepalive, a);
    started(a, AGORA_OK);
    (void)re_main(NULL);
    /* CMD_STOP ended every call; let their BYEs leave (libre sends them on free) */
    release_stack(a);
    re_thread_close();
    return NULL;
}

/* ------------------------------------------------------------ public API */

static int post(struct agora_sip_agent *a, sip_command *cmd)
{
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
    cmd->mu = &mu;
    cmd->cond = &cond;
    pthread_mutex_lock(&a->mu);
    int closing = a->closing;
    if (cmd->kind == CMD_STOP)
        a->closing = 1;
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->mu);
    if (closing)
        return AGORA_ERR_INVALID_STATE;
    if (mqueue_push(a->mq, cmd->kind, cmd))
        return AGORA_ERR_FAILED;
    pthread_mutex_lock(&mu);
    while (!cmd->done)
        pthread_cond_wait(&cond, &mu);
    pthread_mutex_unlock(&mu);
    pthread_cond_destroy(&cond);
    pthread_mutex_destroy(&mu);
    return cmd->result;
}

int agora_sip_agent_create(const agora_sip_config *config, agora_sip_agent **out)
{
    if (!config || !out || !config->listen_ip || strlen(config->listen_ip) >= 64)
        return AGORA_ERR_INVALID_ARGUMENT;
    const char *user = config->user ? config->user : "agent";
    struct sa probe;
    if (sa_set_str(&probe, config->listen_ip, config->listen_port) || !user[0] ||
        strlen(user) >= 64 || strpbrk(user, "@:;<>\" \r\n"))
        return AGORA_ERR_INVALID_ARGUMENT;
    if (config->registrar && (!config->registrar[0] || strlen(config->registrar) >= 128 ||
                              strpbrk(config->registrar, "@;<>\" \r\n") ||
                              (config->password && strlen(config->password) >= 128) ||
                              config->expires < 0))
        return AGORA_ERR_INVALID_ARGUMENT;
    if ((config->tls_cert_pem && (!config->tls_key_pem || !config->tls_cert_pem[0] ||
                                  !config->tls_key_pem[0])) ||
        (!config->tls_cert_pem && (config->tls_key_pem || config->tls_port)))
        return AGORA_ERR_INVALID_ARGUMENT;
    if (config->srtp < AGORA_SIP_SRTP_OFF || config->srtp > AGORA_SIP_SRTP_MANDATORY ||
        config->keepalive_s < 0 || config->keepalive_s > 86400 ||
        (config->keepalive_s > 0 && !config->registrar) ||
        (config->registrar_tls && (!config->registrar || !config->tls_cert_pem)))
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_once(&libre_once, libre_init_once);
    if (libre_rc)
        return AGORA_ERR_FAILED;
    struct agora_sip_agent *a = calloc(1, sizeof(*a));
    if (!a)
        return AGORA_ERR_NO_MEMORY;
    a->ev_cap = AGORA_SIP_EVENT_QUEUE;
    a->events = malloc((size_t)a->ev_cap * sizeof(*a->events));
    if (!a->events) {
        free(a);
        return AGORA_ERR_NO_MEMORY;
    }
    snprintf(a->listen_ip, sizeof(a->listen_ip), "%s", config->listen_ip);
    snprintf(a->user, sizeof(a->user), "%s", user);
    if (config->registrar) {
        snprintf(a->registrar, sizeof(a->registrar), "%s", config->registrar);
        snprintf(a->password, sizeof(a->password), "%s", config->password ? config->password : "");
        a->expires = config->expires > 0 ? config->expires : 600;
        a->keepalive_s = config->keepalive_s;
        a->registrar_tls = config->registrar_tls != 0;
    }
    a->listen_port = config->listen_port;
    a->srtp = config->srtp;
    a->tls_port = config->tls_port;
    if (config->tls_cert_pem) {
        a->tls_cert_pem = strdup(config->tls_cert_pem);
        a->tls_key_pem = strdup(config->tls_key_pem);
        if (!a->tls_cert_pem || !a->tls_key_pem) {
            free_secret(&a->tls_cert_pem);
            free_secret(&a->tls_key_pem);
            free(a);
            return AGORA_ERR_NO_MEMORY;
        }
    }
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cond, NULL);
    if (pthread_create(&a->thread, NULL, agent_thread, a)) {
        free_secret(&a->tls_cert_pem);
        free_secret(&a->tls_key_pem);
        free(a->events);
        free(a);
        return AGORA_ERR_FAILED;
    }
    pthread_mutex_lock(&a->mu);
    while (!a->started)
        pthread_cond_wait(&a->cond, &a->mu);
    int rc = a->start_rc;
    pthread_mutex_unlock(&a->mu);
    if (rc != AGORA_OK) {
        pthread_join(a->thread, NULL);
        pthread_cond_destroy(&a->cond);
        pthread_mutex_destroy(&a->mu);
        free(a->events);
        free(a);
        return rc;
    }
    *out = a;
    return AGORA_OK;
}

uint16_t agora_sip_agent_port(const agora_sip_agent *a)
{
    return a ? a->listen_port : 0;
}

uint16_t agora_sip_agent_tls_port(const agora_sip_agent *a)
{
    return a ? a->tls_port : 0;
}

int agora_sip_next_event(agora_sip_agent *a, agora_sip_event *out, int timeout_ms)
{
    if (!a || !out)
        return AGORA_ERR_INVALID_ARGUMENT;
    struct timespec until = agora_wait_deadline(timeout_ms);
    pthread_mutex_lock(&a->mu);
    int rc = 0;
    for (;;) {
        if (a->ev_count > 0) {
            *out = a->events[a->ev_head];
            a->ev_head = (a->ev_head + 1) % a->ev_cap;
            a->ev_count--;
            rc = 1;
            break;
        }
        if (a->closing) {
            rc = AGORA_ERR_INVALID_STATE;
            break;
        }
        if (timeout_ms == 0)
            break;
        if (timeout_ms < 0)
            pthread_cond_wait(&a->cond, &a->mu);
        else if (pthread_cond_timedwait(&a->cond, &a->mu, &until))
            break;
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static int valid_media(const char *ip, uint16_t port)
{
    struct sa sa;
    return ip && port && strlen(ip) < 64 && !sa_set_str(&sa, ip, port);
}

int agora_sip_answer(agora_sip_agent *a, uint32_t call, const char *media_ip, uint16_t media_port)
{
    if (!a || !valid_media(media_ip, media_port))
        return AGORA_ERR_INVALID_ARGUMENT;
    return post(a, &(sip_command){.kind = CMD_ANSWER, .call = call, .text = media_ip,
                                  .port = media_port});
}

int agora_sip_progress(agora_sip_agent *a, uint32_t call, const char *media_ip, uint16_t media_port)
{
    if (!a || !valid_media(media_ip, media_port))
        return AGORA_ERR_INVALID_ARGUMENT;
    return post(a, &(sip_command){.kind = CMD_PROGRESS, .call = call, .text = media_ip,
                                  .port = media_port});
}

int agora_sip_reject(agora_sip_agent *a, uint32_t call, int status)
{
    if (!a || status < 300 || status > 699)
        return AGORA_ERR_INVALID_ARGUMENT;
    return post(a, &(sip_command){.kind = CMD_REJECT, .call = call, .status = status});
}

int agora_sip_dial(agora_sip_agent *a, const char *uri, const char *media_ip, uint16_t media_port,
                   uint32_t *call)
{
    if (!a || !uri || !call || strlen(uri) > 512 || strpbrk(uri, "\r\n") ||
        !valid_media(media_ip, media_port))
        return AGORA_ERR_INVALID_ARGUMENT;
    sip_command cmd = {.kind = CMD_DIAL, .uri = uri, .text = media_ip, .port = media_port};
    int rc = post(a, &cmd);
    if (rc == AGORA_OK)
        *call = cmd.call;
    return rc;
}

int agora_sip_transfer(agora_sip_agent *a, uint32_t call, const char *uri)
{
    if (!a || !uri || strlen(uri) > 512 || strpbrk(uri, "\r\n<>"))
        return AGORA_ERR_INVALID_ARGUMENT;
    return post(a, &(sip_command){.kind = CMD_TRANSFER, .call = call, .uri = uri});
}

int agora_sip_hangup(agora_sip_agent *a, uint32_t call)
{
    if (!a)
        return AGORA_ERR_INVALID_ARGUMENT;
    return post(a, &(sip_command){.kind = CMD_HANGUP, .call = call});
}

int agora_sip_get_stats(agora_sip_agent *a, agora_sip_stats *out)
{
    if (!a || !out)
        return AGORA_ERR_INVALID_ARGUMENT;
    return post(a, &(sip_command){.kind = CMD_STATS, .stats = out});
}

void agora_sip_agent_stop(agora_sip_agent *a)
{
    if (!a)
        return;
    if (post(a, &(sip_command){.kind = CMD_STOP}) == AGORA_ERR_INVALID_STATE)
        return; /* stopped already */
    pthread_join(a->thread, NULL);
}

void agora_sip_agent_destroy(agora_sip_agent *a)
{
    if (!a)
        return;
    agora_sip_agent_stop(a);
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->mu);
    free(a->events);
    free(a);
}
