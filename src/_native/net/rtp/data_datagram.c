/* One datagram of the Janus data path (data_datagram.h). */
#include "net/rtp/data_datagram.h"

#include <string.h>

#include "agora_rtc/connection.h"
#include "agora_rtc/rtp_transport.h"
#include "net/rtp/rtp.h"

int agora_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

int agora_data_is_metadata(const uint8_t *data, size_t length)
{
    return length >= AGORA_RTP_METADATA_TAG_LEN &&
           memcmp(data, AGORA_RTP_METADATA_TAG, AGORA_RTP_METADATA_TAG_LEN) == 0;
}

size_t agora_data_datagram_build(uint8_t *out, size_t cap, uint16_t seq, uint32_t ssrc, int meta,
                                 const uint8_t *data, size_t length)
{
    size_t head = AGORA_RTP_HEADER_SIZE + (meta ? AGORA_RTP_METADATA_TAG_LEN : 0);
    if (cap < head || length > cap - head)
        return 0;
    /* Janus relays the message as text (payload type 0) or binary (1) */
    int binary = meta || !agora_utf8_valid(data, length);
    memset(out, 0, AGORA_RTP_HEADER_SIZE);
    out[0] = 0x80; /* V=2 */
    out[1] = binary ? AGORA_DATA_PT_BINARY : AGORA_DATA_PT_TEXT;
    out[2] = (uint8_t)(seq >> 8);
    out[3] = (uint8_t)seq;
    out[8] = (uint8_t)(ssrc >> 24);
    out[9] = (uint8_t)(ssrc >> 16);
    out[10] = (uint8_t)(ssrc >> 8);
    out[11] = (uint8_t)ssrc;
    if (meta)
        memcpy(out + AGORA_RTP_HEADER_SIZE, AGORA_RTP_METADATA_TAG, AGORA_RTP_METADATA_TAG_LEN);
    if (length)
        memcpy(out + head, data, length);
    return head + length;
}

int agora_data_datagram_classify(const uint8_t *buf, size_t n, const uint8_t **payload,
                                 size_t *length)
{
    if (n == 0)
        return AGORA_DATAGRAM_REFUSED;
    if (agora_data_is_metadata(buf, n)) {
        if (n - AGORA_RTP_METADATA_TAG_LEN > AGORA_MAX_AUDIO_METADATA)
            return AGORA_DATAGRAM_REFUSED;
        *payload = buf + AGORA_RTP_METADATA_TAG_LEN;
        *length = n - AGORA_RTP_METADATA_TAG_LEN;
        return AGORA_DATAGRAM_METADATA;
    }
    if (n > AGORA_MAX_STREAM_MESSAGE)
        return AGORA_DATAGRAM_REFUSED;
    *payload = buf;
    *length = n;
    return AGORA_DATAGRAM_MESSAGE;
}
