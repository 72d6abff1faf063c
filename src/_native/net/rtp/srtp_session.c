/* SRTP receive context: see srtp_session.h. */
#include "net/rtp/srtp_session.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "agora_rtc/errors.h"

_Static_assert(AGORA_SRTP_MAX_TRAILER >= SRTP_MAX_TRAILER_LEN + 4, "SRTCP trailer room");

struct agora_srtp_session {
    srtp_t ctx;
};

/* Overwrite key material in a way the compiler cannot elide. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

static int map_srtp_error(srtp_err_status_t e)
{
    switch (e) {
    case srtp_err_status_auth_fail:
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
    case srtp_err_status_no_ctx:
        return AGORA_ERR_REFUSED;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
        return AGORA_ERR_INVALID_ARGUMENT;
    case srtp_err_status_alloc_fail:
        return AGORA_ERR_NO_MEMORY;
    default:
        return AGORA_ERR_FAILED;
    }
}

/* Can a session be created? (srtp_create fails before srtp_init.) */
static int srtp_usable(void)
{
    uint8_t key[AGORA_SRTP_MASTER_LEN] = {0};
    srtp_policy_t policy;
    memset(&policy, 0, sizeof(policy));
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    policy.ssrc.type = ssrc_any_inbound;
    policy.key = key;
    srtp_t ctx = NULL;
    if (srtp_create(&ctx, &policy) != srtp_err_status_ok)
        return 0;
    srtp_dealloc(ctx);
    return 1;
}

int agora_srtp_library_init(void)
{
    /* srtp_init() fails when called a second time (libsrtp 2.5 answers
     * bad_param); without a global flag of our own, tell "already
     * initialised" from a real failure by probing a throwaway session. */
    if (srtp_init() == srtp_err_status_ok)
        return AGORA_OK;
    return srtp_usable() ? AGORA_OK : AGORA_ERR_FAILED;
}

static agora_srtp_session *session_new(int suite, const uint8_t *master, size_t master_len,
                                       srtp_ssrc_type_t direction)
{
    if (!master || master_len != AGORA_SRTP_MASTER_LEN ||
        (suite != AGORA_SRTP_AES128_CM_SHA1_32 && suite != AGORA_SRTP_AES128_CM_SHA1_80))
        return NULL;
    agora_srtp_session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    /* libsrtp wants a mutable key pointer; it copies the key into the
     * session, so a local copy wiped afterwards is enough */
    uint8_t key[AGORA_SRTP_MASTER_LEN];
    memcpy(key, master, sizeof(key));
    srtp_policy_t policy;
    memset(&policy, 0, sizeof(policy));
    if (suite == AGORA_SRTP_AES128_CM_SHA1_32)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
    else
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    policy.ssrc.type = direction;
    policy.key = key;
    policy.window_size = 128;
    policy.allow_repeat_tx = 0;
    policy.next = NULL;
    srtp_err_status_t e = srtp_create(&s->ctx, &policy);
    wipe(key, sizeof(key));
    if (e != srtp_err_status_ok) {
        free(s);
        return NULL;
    }
    return s;
}

agora_srtp_session *agora_srtp_session_create(int suite, const uint8_t *master, size_t master_len)
{
    return session_new(suite, master, master_len, ssrc_any_inbound);
}

agora_srtp_session *agora_srtp_sender_create(int suite, const uint8_t *master, size_t master_len)
{
    return session_new(suite, master, master_len, ssrc_any_outbound);
}

int agora_srtp_protect(agora_srtp_session *s, uint8_t *pkt, size_t len, size_t cap)
{
    if (!s || !pkt || len < 12 || cap < len + AGORA_SRTP_MAX_TRAILER || cap > INT_MAX)
        return AGORA_ERR_INVALID_ARGUMENT;
    int n = (int)len;
    srtp_err_status_t e = srtp_protect(s->ctx, pkt, &n);
    return e == srtp_err_status_ok ? n : map_srtp_error(e);
}

int agora_srtp_protect_rtcp(agora_srtp_session *s, uint8_t *pkt, size_t len, size_t cap)
{
    if (!s || !pkt || len < 8 || cap < len + AGORA_SRTP_MAX_TRAILER || cap > INT_MAX)
        return AGORA_ERR_INVALID_ARGUMENT;
    int n = (int)len;
    srtp_err_status_t e = srtp_protect_rtcp(s->ctx, pkt, &n);
    return e == srtp_err_status_ok ? n : map_srtp_error(e);
}

void agora_srtp_session_destroy(agora_srtp_session *s)
{
    if (!s)
        return;
    srtp_dealloc(s->ctx);
    free(s);
}

int agora_srtp_unprotect(agora_srtp_session *s, uint8_t *pkt, size_t len)
{
    if (!s || !pkt || len < 12 || len > INT_MAX)
        return AGORA_ERR_INVALID_ARGUMENT;
    int n = (int)len;
    srtp_err_status_t e = srtp_unprotect(s->ctx, pkt, &n);
    if (e != srtp_err_status_ok)
        return map_srtp_error(e);
    return n;
}

int agora_srtp_unprotect_rtcp(agora_srtp_session *s, uint8_t *pkt, size_t len)
{
    if (!s || !pkt || len < 8 || len > INT_MAX)
        return AGORA_ERR_INVALID_ARGUMENT;
    int n = (int)len;
    srtp_err_status_t e = srtp_unprotect_rtcp(s->ctx, pkt, &n);
    if (e != srtp_err_status_ok)
        return map_srtp_error(e);
    return n;
}
