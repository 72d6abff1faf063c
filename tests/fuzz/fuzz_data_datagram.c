/* libFuzzer harness: the Janus data path's datagrams (src/_native/net/rtp/
 * data_datagram.c) on arbitrary bytes, as a data socket receives them from
 * Janus's rtp_forward (what a browser or anyone reaching the port sends):
 * classify must keep its answer inside the datagram and within the message
 * and metadata sizes; the per-second admission of the sender's limits is run
 * with a clock the input drives; and what we would send for the same bytes
 * (the RTP envelope) must carry them whole, marked text exactly when they are
 * UTF-8, which a reference decoder checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agora_rtc/connection.h"
#include "agora_rtc/errors.h"
#include "agora_rtc/rtp_transport.h"
#include "engine/data_stream.h"
#include "net/rtp/data_datagram.h"
#include "net/rtp/rtp.h"

static volatile uint32_t sink;

/* UTF-8 by the definition's table (RFC 3629 section 4), independent of the engine's. */
static int reference_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t a = s[i];
        size_t need;
        uint8_t lo = 0x80, hi = 0xBF;
        if (a <= 0x7F) {
            i++;
            continue;
        } else if (a >= 0xC2 && a <= 0xDF) {
            need = 1;
        } else if (a >= 0xE0 && a <= 0xEF) {
            need = 2;
            if (a == 0xE0)
                lo = 0xA0;
            if (a == 0xED)
                hi = 0x9F;
        } else if (a >= 0xF0 && a <= 0xF4) {
            need = 3;
            if (a == 0xF0)
                lo = 0x90;
            if (a == 0xF4)
                hi = 0x8F;
        } else {
            return 0;
        }
        if (n - i - 1 < need)
            return 0;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k <= need; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return 0;
        i += need + 1;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* what arrives on a data socket */
    const uint8_t *payload = NULL;
    size_t length = 0;
    int what = agora_data_datagram_classify(data, size, &payload, &length);
    if (what == AGORA_DATAGRAM_MESSAGE) {
        if (payload != data || length != size || size == 0 || size > AGORA_MAX_STREAM_MESSAGE)
            abort();
    } else if (what == AGORA_DATAGRAM_METADATA) {
        if (!agora_data_is_metadata(data, size) || payload != data + AGORA_RTP_METADATA_TAG_LEN ||
            length != size - AGORA_RTP_METADATA_TAG_LEN || length > AGORA_MAX_AUDIO_METADATA)
            abort();
    } else if (what != AGORA_DATAGRAM_REFUSED) {
        abort();
    }
    for (size_t i = 0; i < length; i++)
        sink += payload[i];

    /* a sender's datagrams against its per-second limits: the input cut into
     * messages (first byte: size, second: ms since the previous one) */
    agora_data_streams limit;
    agora_dstreams_init(&limit);
    int64_t now = 0;
    size_t admitted_bytes = 0;
    for (size_t i = 0; i + 2 <= size; i += 2) {
        now += data[i + 1];
        size_t n = (size_t)data[i] * 8;
        if (agora_dstreams_admit_any(&limit, now, n) == AGORA_OK)
            admitted_bytes += n;
        if (now < 1000 && admitted_bytes > AGORA_STREAM_BYTES_PER_SEC)
            abort(); /* more than one second's bytes within the first second */
    }

    /* what we send for the same bytes */
    uint8_t pkt[AGORA_RTP_HEADER_SIZE + AGORA_RTP_METADATA_TAG_LEN + AGORA_MAX_STREAM_MESSAGE];
    size_t body = size > AGORA_MAX_STREAM_MESSAGE ? AGORA_MAX_STREAM_MESSAGE : size;
    int meta = size > 0 && (data[0] & 1);
    size_t n = agora_data_datagram_build(pkt, sizeof(pkt), 7, 1010, meta, data, body);
    size_t head = AGORA_RTP_HEADER_SIZE + (meta ? AGORA_RTP_METADATA_TAG_LEN : 0);
    if (n != head + body || memcmp(pkt + head, data, body) != 0)
        abort();
    int text = pkt[1] == AGORA_DATA_PT_TEXT;
    if (text != (!meta && reference_utf8(data, body)) || agora_utf8_valid(data, body) != reference_utf8(data, body))
        abort();
    agora_rtp_packet p;
    if (agora_rtp_parse(pkt, n, &p) != 0 || p.ssrc != 1010 || p.payload_len != n - AGORA_RTP_HEADER_SIZE)
        abort();
    return 0;
}
