/* SDES keys of a call's SRTP (RFC 4568 a=crypto lines in the SDP): what we offer
 * and answer, and which of the remote's lines we take. Suites
 * AES_CM_128_HMAC_SHA1_80 and _32; the key is the 30-byte master key + salt, base64
 * in "inline:"; lifetimes are ignored, MKIs and session parameters make a line
 * unusable (we do neither). Loop thread of the agent (and the fuzz harness). */
#ifndef AGORA_RTC_SIP_SDES_H
#define AGORA_RTC_SIP_SDES_H

#include <stdint.h>
#include <re.h>
#include "agora_rtc/sip.h"

#define AGORA_SDES_SUITE_80 80 /* AES_CM_128_HMAC_SHA1_80 (as the RTP plane's srtp_suite) */
#define AGORA_SDES_SUITE_32 32 /* AES_CM_128_HMAC_SHA1_32 */

/* One a=crypto line: tag, suite (32 or 80, 0: none), key. */
typedef struct agora_sdes_crypto {
    uint32_t tag;
    int suite;
    uint8_t key[AGORA_SIP_SRTP_KEY_LEN];
} agora_sdes_crypto;

/* A fresh key from the kernel's CSPRNG (getrandom). 0 or an errno. */
int agora_sdes_random_key(uint8_t key[AGORA_SIP_SRTP_KEY_LEN]);

/* The remote's first usable a=crypto line of media into *out (with tag == want_tag
 * unless want_tag is 0). 1: found; 0: the media has no a=crypto line; -1: it has
 * some, none usable (unknown suite, a key that is not 30 bytes of base64, an MKI). */
int agora_sdes_pick(const struct sdp_media *media, uint32_t want_tag, agora_sdes_crypto *out);

/* Our a=crypto line (replacing any other, append 0) or one more line (append 1). */
int agora_sdes_set_local(struct sdp_media *media, const agora_sdes_crypto *c, int append);

/* The suite's SDP name, NULL when not one of ours. */
const char *agora_sdes_suite_name(int suite);

#endif
