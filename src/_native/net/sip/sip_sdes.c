/* SDES keys in the SDP (sip_sdes.h). */
#include "net/sip/sip_sdes.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>


#define KEY_B64_LEN 40 /* base64 of 30 bytes, no padding */

static const struct {
    const char *name;
    int suite;
} suites[] = {
    {"AES_CM_128_HMAC_SHA1_80", AGORA_SDES_SUITE_80},
    {"AES_CM_128_HMAC_SHA1_32", AGORA_SDES_SUITE_32},
};

const char *agora_sdes_suite_name(int suite)
{
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
        if (suites[i].suite == suite)
            return suites[i].name;
    return NULL;
}

int agora_sdes_random_key(uint8_t key[AGORA_SIP_SRTP_KEY_LEN])
{
    size_t got = 0;
    while (got < AGORA_SIP_SRTP_KEY_LEN) {
        ssize_t n = getrandom(key + got, AGORA_SIP_SRTP_KEY_LEN - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        got += (size_t)n;
    }
    return 0;
}

static int is_b64(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '+' || ch == '/';
}

/* "tag suite inline:key[|lifetime]" -> *out; 0 when usable. */
static int parse_line(const char *value, agora_sdes_crypto *out)
{
    struct pl tag, suite, key, params;
    if (re_regex(value, strlen(value), "[0-9]+[ \t]+[^ \t]+[ \t]+inline:[^|]+[^]*", &tag, NULL,
                 &suite, NULL, &key, &params))
        return -1;
    if (tag.l > 9 || key.l != KEY_B64_LEN)
        return -1;
    /* after the key: at most a lifetime ("|2^31", "|1048576"); an MKI ("|1:4") or session
     * parameters (" UNENCRYPTED_SRTP") we do not do */
    if (params.l) {
        if (params.p[0] != '|' || params.l > 16)
            return -1;
        for (size_t i = 1; i < params.l; i++)
            if (!(params.p[i] >= '0' && params.p[i] <= '9') && params.p[i] != '^')
                return -1;
    }
    out->suite = 0;
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
        if (!pl_strcmp(&suite, suites[i].name))
            out->suite = suites[i].suite;
    if (!out->suite)
        return -1;
    for (size_t i = 0; i < key.l; i++)
        if (!is_b64(key.p[i]))
            return -1;
    size_t n = sizeof(out->key);
    if (base64_decode(key.p, key.l, out->key, &n) || n != sizeof(out->key))
        return -1;
    out->tag = pl_u32(&tag);
    return 0;
}

typedef struct pick_state {
    uint32_t want_tag;
    int seen;
    agora_sdes_crypto *out;
} pick_state;

static bool on_crypto(const char *name, const char *value, void *arg)
{
    (void)name;
    pick_state *st = arg;
    st->seen = 1;
    agora_sdes_crypto c;
    if (!value || parse_line(value, &c) || (st->want_tag && c.tag != st->want_tag))
        return false; /* the next line */
    *st->out = c;
    return true;
}

int agora_sdes_pick(const struct sdp_media *media, uint32_t want_tag, agora_sdes_crypto *out)
{
    pick_state st = {.want_tag = want_tag, .seen = 0, .out = out};
    if (sdp_media_rattr_apply(media, "crypto", on_crypto, &st))
        return 1;
    return st.seen ? -1 : 0;
}

int agora_sdes_set_local(struct sdp_media *media, const agora_sdes_crypto *c, int append)
{
    const char *name = agora_sdes_suite_name(c->suite);
    if (!name)
        return EINVAL;
    char b64[KEY_B64_LEN + 1];
    size_t n = KEY_B64_LEN;
    int err = base64_encode(c->key, sizeof(c->key), b64, &n);
    if (err)
        return err;
    b64[n] = '\0';
    err = sdp_media_set_lattr(media, !append, "crypto", "%u %s inline:%s", c->tag, name, b64);
    memset(b64, 0, sizeof(b64));
    return err;
}
