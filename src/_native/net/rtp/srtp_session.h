/* SRTP contexts over libsrtp2 (internal to the engine): the receive side of
 * Janus's encrypted legs and of SIP calls, the send side of SIP calls (SDES keys,
 * RFC 4568: docs/SIP.md). JANUS.md:
 * Janus's rtp_forward can encrypt the forwarded RTP with `srtp_suite` 80 or
 * 32 and `srtp_crypto` = base64 of the 30-byte master key + salt; this is
 * the receive side of that leg. (The Python layer generates the key and
 * base64-encodes it for the request; this API takes the 30 raw bytes.)
 *
 * - Suites: AES_CM_128_HMAC_SHA1_80 (10-byte tag) and _32 (4-byte RTP tag;
 *   SRTCP always uses the 80-bit tag, RFC 4568). Key layout: 16-byte master
 *   key followed by the 14-byte master salt.
 * - One session accepts any inbound SSRC (each new SSRC gets its own
 *   stream state and replay window inside libsrtp on first use: that first
 *   packet allocates; later packets do not).
 * - Unprotect works in place: the authentication tag (and MKI) are removed
 *   and the payload decrypted; the returned length is the plain RTP/RTCP
 *   length. Give it 4-byte aligned buffers (libsrtp reads 32-bit words).
 *
 * Threading: libsrtp keeps process-wide state (its crypto kernel):
 * agora_srtp_library_init() must be called once, from one thread, before
 * the first session is created (e.g. when the engine starts, before its
 * I/O thread); calling it again is harmless (it returns AGORA_OK). A session is then used by one owner
 * thread; distinct sessions are independent. */
#ifndef AGORA_RTC_SRTP_SESSION_H
#define AGORA_RTC_SRTP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define AGORA_SRTP_MASTER_LEN 30 /* 16 key + 14 salt */

enum agora_srtp_suite {
    AGORA_SRTP_AES128_CM_SHA1_32 = 32, /* Janus "srtp_suite": 32 */
    AGORA_SRTP_AES128_CM_SHA1_80 = 80, /* Janus "srtp_suite": 80 */
};

typedef struct agora_srtp_session agora_srtp_session;

/* Initialise libsrtp (see Threading). AGORA_OK or AGORA_ERR_FAILED. */
int agora_srtp_library_init(void);

/* Receive session for `suite` (32 or 80) with the 30-byte master key+salt.
 * Returns NULL on a bad argument, when libsrtp was not initialised, or out
 * of memory. The key is copied (and the copy wiped after use). */
agora_srtp_session *agora_srtp_session_create(int suite, const uint8_t *master, size_t master_len);
/* NULL is a no-op. */
void agora_srtp_session_destroy(agora_srtp_session *s);

/* Send session: the same suites and key layout, protecting whatever SSRC we send
 * (RTP and RTCP). NULL as for agora_srtp_session_create. */
agora_srtp_session *agora_srtp_sender_create(int suite, const uint8_t *master, size_t master_len);

/* Room a protected packet needs after the plain one: libsrtp may write its largest
 * trailer (tag + MKI) and the SRTCP index there, though ours add 4..14 bytes. */
#define AGORA_SRTP_MAX_TRAILER 148

/* Encrypt and authenticate one RTP packet of len bytes in place; the buffer holds
 * cap >= len + AGORA_SRTP_MAX_TRAILER bytes, 4-byte aligned. Returns the SRTP
 * length, or AGORA_ERR_INVALID_ARGUMENT / AGORA_ERR_FAILED. */
int agora_srtp_protect(agora_srtp_session *s, uint8_t *pkt, size_t len, size_t cap);
/* Same for one RTCP (compound) packet: SRTCP. */
int agora_srtp_protect_rtcp(agora_srtp_session *s, uint8_t *pkt, size_t len, size_t cap);

/* Verify and decrypt one SRTP packet of len bytes in place. Returns the
 * plain RTP length (len minus tag), or
 *   AGORA_ERR_REFUSED          authentication failed, or a replay;
 *   AGORA_ERR_INVALID_ARGUMENT NULL, too short or malformed packet;
 *   AGORA_ERR_FAILED           any other libsrtp error.
 * On error the buffer content is unspecified (may be partly processed). */
int agora_srtp_unprotect(agora_srtp_session *s, uint8_t *pkt, size_t len);
/* Same for one SRTCP (compound) packet. */
int agora_srtp_unprotect_rtcp(agora_srtp_session *s, uint8_t *pkt, size_t len);

#endif
