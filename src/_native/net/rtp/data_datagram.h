/* One datagram of the Janus data path (rtp_data.c), without sockets: what we
 * send (a 12-byte RTP header whose payload type says text or binary, then the
 * message, audio metadata behind AGORA_RTP_METADATA_TAG) and what a data
 * socket receives (the bare message, as Janus's rtp_forward sends it). Pure
 * functions of their arguments: tests/fuzz/fuzz_data_datagram.c drives them. */
#ifndef AGORA_RTC_DATA_DATAGRAM_H
#define AGORA_RTC_DATA_DATAGRAM_H

#include <stddef.h>
#include <stdint.h>

#define AGORA_DATA_PT_TEXT 0
#define AGORA_DATA_PT_BINARY 1

/* RFC 3629 UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF). */
int agora_utf8_valid(const uint8_t *s, size_t n);

/* The message begins with AGORA_RTP_METADATA_TAG (audio metadata on the wire). */
int agora_data_is_metadata(const uint8_t *data, size_t length);

/* Our datagram for `data` (meta: audio metadata, sent behind the tag) into out
 * (cap bytes): its size, or 0 when it does not fit. */
size_t agora_data_datagram_build(uint8_t *out, size_t cap, uint16_t seq, uint32_t ssrc, int meta,
                                 const uint8_t *data, size_t length);

enum { AGORA_DATAGRAM_MESSAGE = 1, AGORA_DATAGRAM_METADATA = 2, AGORA_DATAGRAM_REFUSED = 0 };

/* What a datagram received on a data socket is: a stream message (the whole
 * datagram, at most AGORA_MAX_STREAM_MESSAGE bytes), audio metadata (*payload
 * and *length: what follows the tag, at most AGORA_MAX_AUDIO_METADATA bytes),
 * or refused (empty, or over those sizes). */
int agora_data_datagram_classify(const uint8_t *buf, size_t n, const uint8_t **payload,
                                 size_t *length);

#endif
