/* SIP signalling for phone calls (docs/SIP.md): a SIP user agent that listens
 * on a UDP address, answers or rejects incoming INVITEs, places outgoing ones
 * and hangs up, using libre (baresip's SIP stack: transactions and
 * retransmissions, dialogs, INVITE sessions, SDP offer/answer). The media of a
 * call is not here: the control plane (agora_rtc.sip) hands the negotiated
 * address and codec to a connection's RTP transport (rtp_transport.h).
 *
 * Threads: each agent runs libre's loop on a thread of its own; every
 * function below may be called from any other thread (it posts to that loop
 * and waits for the answer), never from two threads on the same call id at
 * once. Events come out of a queue (agora_sip_next_event): when
 * AGORA_SIP_EVENT_QUEUE events wait, an incoming INVITE is answered 503 and
 * counted, never queued, and a PROGRESS / MEDIA / REGISTERED event is not
 * queued; a call's ESTABLISHED, CLOSED and TRANSFER events (one each per call)
 * are always queued. */
#ifndef AGORA_RTC_SIP_H
#define AGORA_RTC_SIP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct agora_sip_agent agora_sip_agent;

#define AGORA_SIP_MAX_TEXT 128   /* user parts, addresses, reason phrases (truncated) */
#define AGORA_SIP_EVENT_QUEUE 256 /* events waiting for the control plane (see above) */
#define AGORA_SIP_PTIME_MIN 10    /* the a=ptime lengths (ms) we send in */
#define AGORA_SIP_PTIME_MAX 60
#define AGORA_SIP_SRTP_KEY_LEN 30 /* SDES master key (16) + salt (14), as AGORA_RTP_SRTP_KEY_LEN */

/* SRTP on calls with SDES keys (RFC 4568 a=crypto, AES_CM_128_HMAC_SHA1_80 / _32). */
enum agora_sip_srtp {
    AGORA_SIP_SRTP_OFF = 0,       /* plain RTP/AVP only: an RTP/SAVP offer is answered 488,
                                     a=crypto lines are ignored */
    AGORA_SIP_SRTP_OPTIONAL = 1,  /* SRTP when the remote offers a usable a=crypto line
                                     (RTP/AVP or RTP/SAVP), plain RTP when it offers none;
                                     a=crypto lines none of which is usable: 488. Our offers:
                                     RTP/AVP with a=crypto (the remote may answer plain) */
    AGORA_SIP_SRTP_MANDATORY = 2, /* SRTP or no call: an offer without a usable a=crypto line
                                     is answered 488; our offers are RTP/SAVP, an answer
                                     without our key's tag ends the call (BYE) */
};

typedef struct agora_sip_config {
    const char *listen_ip;    /* IPv4 or IPv6 literal the UDP socket binds to */
    uint16_t listen_port;     /* 0: an ephemeral port (agora_sip_agent_port) */
    const char *user;         /* our user part in From / Contact (NULL: "agent") */
    /* Registration (all NULL: none, the agent only listens): REGISTER user@<registrar host>
     * at registrar ("ip:port" or a host name), answering its digest challenges with
     * user / password, refreshed before `expires` seconds (0: 600) run out. Events
     * AGORA_SIP_EV_REGISTERED follow each answer. */
    const char *registrar;
    const char *password;
    int expires;
    /* With a registrar: an OPTIONS to it every keepalive_s seconds (0: none), keeping
     * NAT bindings open and telling whether the registrar still answers (stats). */
    int keepalive_s;
    /* 1: REGISTER and the keepalives go to the registrar over TLS (its URI gets
     * ;transport=tls, so our Contact says TLS too and the calls it routes to us come
     * over TLS); needs tls_cert_pem. 0: UDP. */
    int registrar_tls;
    int srtp;                 /* enum agora_sip_srtp (0: off) */
    /* SIP over TLS (RFC 3261 sips / transport=tls), next to UDP: with tls_cert_pem set,
     * the agent also listens for TLS on listen_ip:tls_port (0: an ephemeral port,
     * agora_sip_agent_tls_port) with this certificate (PEM, its chain may follow) and
     * private key (PEM), and may dial sips: / ;transport=tls URIs. NULL: UDP only. */
    const char *tls_cert_pem;
    const char *tls_key_pem;
    uint16_t tls_port;
} agora_sip_config;

enum agora_sip_event_kind {
    AGORA_SIP_EV_INCOMING = 1,    /* an INVITE with a usable offer; the caller hears 180
                                     Ringing until agora_sip_answer or agora_sip_reject */
    AGORA_SIP_EV_PROGRESS = 2,    /* our INVITE: a provisional answer (status 180 / 183); a
                                     183 with SDP (early media: ringback, an announcement)
                                     carries the callee's media (remote_port != 0) */
    AGORA_SIP_EV_ESTABLISHED = 3, /* the call is up (ACK received, or our INVITE answered 2xx);
                                     for our INVITE the answer's media is in the event */
    AGORA_SIP_EV_CLOSED = 4,      /* the call is over: BYE (status 0), CANCEL (487), a
                                     final error answer to our INVITE (status), a timeout
                                     (status 408); reason says which */
    AGORA_SIP_EV_MEDIA = 5,       /* a re-INVITE changed the remote media (hold: see hold) */
    AGORA_SIP_EV_REGISTERED = 6,  /* the registrar answered a REGISTER: status 200 (registered)
                                     or the final error (401/403: the credentials were refused,
                                     408: no answer); call 0 */
    AGORA_SIP_EV_TRANSFER = 7,    /* the answer to our REFER (agora_sip_transfer): status 202
                                     (the phone calls the target; its BYE follows) or an error */
};

typedef struct agora_sip_event {
    int kind;                                 /* enum agora_sip_event_kind */
    uint32_t call;                            /* the call id (> 0) */
    int status;                               /* SIP status code, 0 when none */
    char from_user[AGORA_SIP_MAX_TEXT];       /* INCOMING: the From URI's user part (the caller) */
    char to_user[AGORA_SIP_MAX_TEXT];         /* INCOMING: the request URI's user part (who is
                                                 called) */
    char remote_ip[AGORA_SIP_MAX_TEXT];       /* the remote's RTP address (SDP c=) */
    uint16_t remote_port;                     /* its RTP port (0: no media, e.g. on hold) */
    uint16_t remote_rtcp_port;                /* its RTCP port (a=rtcp, else port + 1) */
    int codec;                                /* agreed audio codec: AGORA_RTP_AUDIO_PCMU /
                                                 _PCMA / _G722 / _OPUS (rtp_transport.h):
                                                 the remote's first choice of these */
    int payload_type;                         /* its payload type */
    int dtmf_payload_type;                    /* telephone-event payload type, -1: none */
    int ptime_ms;                             /* the packet length we send and our answer
                                                 announces (a=ptime): the remote's a=ptime
                                                 for G.711 / G.722 when it is
                                                 AGORA_SIP_PTIME_MIN..MAX ms; 0: the
                                                 default, 20 ms */
    int hold;                                 /* MEDIA: 1 when the remote put us on hold
                                                 (sendonly / inactive / port 0) */
    char reason[AGORA_SIP_MAX_TEXT];          /* CLOSED: the reason phrase or what happened */
    /* INCOMING / PROGRESS with media / ESTABLISHED / MEDIA: the call's SRTP, 0 (plain RTP),
     * 32 or 80 (AES_CM_128_HMAC_SHA1_32 / _80); the remote's key decrypts what it sends
     * (agora_rtc_conn_rtp_add_remote), ours protects what we send
     * (agora_rtc_conn_rtp_set_send_srtp). Our key comes from the kernel's CSPRNG. */
    int srtp_suite;
    uint8_t srtp_remote_key[AGORA_SIP_SRTP_KEY_LEN];
    uint8_t srtp_local_key[AGORA_SIP_SRTP_KEY_LEN];
} agora_sip_event;

/* Statistics of an agent (since create). */
typedef struct agora_sip_stats {
    uint64_t invites;          /* INVITEs that started a call (usable or not) */
    uint64_t rejected_offers;  /* INVITEs answered 488: no offer, bad SDP, no common codec,
                                  SRTP refused (see agora_sip_srtp) */
    uint64_t rejected_busy;    /* INVITEs answered 503: the event queue was full */
    uint64_t options;          /* OPTIONS answered 200 */
    int calls;                 /* calls now (ringing or up) */
    uint64_t keepalives_sent;     /* our OPTIONS keepalives to the registrar */
    uint64_t keepalives_answered; /* ... that got a final answer (any status: it is alive) */
    int keepalive_status;         /* the last one's status (408: no answer), 0 before any */
} agora_sip_stats;

/* Bind and start the agent. AGORA_OK, AGORA_ERR_INVALID_ARGUMENT (bad
 * address), AGORA_ERR_FAILED (libre could not start, the port is taken). */
int agora_sip_agent_create(const agora_sip_config *config, agora_sip_agent **out);
/* The bound UDP port. */
uint16_t agora_sip_agent_port(const agora_sip_agent *agent);
/* The bound TLS port, 0 without TLS. */
uint16_t agora_sip_agent_tls_port(const agora_sip_agent *agent);
/* Wait up to timeout_ms (-1: forever) for the next event: 1 with *out filled,
 * 0 on timeout, AGORA_ERR_INVALID_STATE once the agent is closing. */
int agora_sip_next_event(agora_sip_agent *agent, agora_sip_event *out, int timeout_ms);
/* Answer an INCOMING call 200 OK with our media at media_ip:media_port (the
 * codec of the event). AGORA_ERR_INVALID_ARGUMENT: no such ringing call. */
int agora_sip_answer(agora_sip_agent *agent, uint32_t call, const char *media_ip,
                     uint16_t media_port);
/* Early media on an INCOMING call: 183 Session Progress with our SDP answer (media at
 * media_ip:media_port, the codec of the event); the call keeps ringing until
 * agora_sip_answer or agora_sip_reject. AGORA_ERR_INVALID_ARGUMENT: no such ringing call. */
int agora_sip_progress(agora_sip_agent *agent, uint32_t call, const char *media_ip,
                       uint16_t media_port);
/* Reject an INCOMING call with status 300..699 (486 Busy Here, 603 Decline,
 * 404 Not Found ...); a CLOSED event follows. */
int agora_sip_reject(agora_sip_agent *agent, uint32_t call, int status);
/* Call uri (sip:user@host:port; sips:... or ;transport=tls over TLS) from our user, offering PCMU, PCMA, Opus
 * with our media at media_ip:media_port; *call receives the call id. Events
 * PROGRESS, ESTABLISHED or CLOSED follow. AGORA_ERR_INVALID_ARGUMENT: not a
 * SIP URI. */
int agora_sip_dial(agora_sip_agent *agent, const char *uri, const char *media_ip,
                   uint16_t media_port, uint32_t *call);
/* Transfer an established call: ask the phone (REFER, RFC 3515) to call uri
 * (sip:user@host:port) instead; an AGORA_SIP_EV_TRANSFER event with the
 * phone's answer follows. AGORA_ERR_INVALID_STATE: the call is not up, or a
 * transfer of it is under way; AGORA_ERR_INVALID_ARGUMENT: no such call, not
 * a SIP URI. */
int agora_sip_transfer(agora_sip_agent *agent, uint32_t call, const char *uri);
/* End a call: BYE when it is up, CANCEL while our INVITE rings, 486 while
 * it rings here. A CLOSED event follows. AGORA_ERR_INVALID_ARGUMENT when the
 * call is not known (already over). */
int agora_sip_hangup(agora_sip_agent *agent, uint32_t call);
int agora_sip_get_stats(agora_sip_agent *agent, agora_sip_stats *out);
/* Hang up every call and stop the loop: every later call returns
 * AGORA_ERR_INVALID_STATE, next_event drains the queue then returns it too.
 * Idempotent; the agent stays allocated. */
void agora_sip_agent_stop(agora_sip_agent *agent);
/* Stop (if not yet) and free the agent. No call on it may be running (a
 * reader blocked in agora_sip_next_event: stop first, let it return). */
void agora_sip_agent_destroy(agora_sip_agent *agent);

#ifdef __cplusplus
}
#endif
#endif
