/* Data streams of one connection: stream ids and the send-rate limits of
 * stream messages (Agora's documented limits, see connection.h): at most
 * AGORA_STREAM_MESSAGES_PER_SEC messages per stream and AGORA_STREAM_BYTES_PER_SEC
 * bytes over all streams of the connection, within any second. State lives in
 * the connection, under its mu. */
#ifndef AGORA_RTC_DATA_STREAM_H
#define AGORA_RTC_DATA_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "agora_rtc/connection.h"

/* Enough entries to hold every message one second can admit. */
#define AGORA_DSTREAM_WINDOW (AGORA_MAX_DATA_STREAMS * AGORA_STREAM_MESSAGES_PER_SEC)

typedef struct agora_data_streams {
    int count;          /* streams created: ids 1..count (1 = the default stream) */
    int rate_limit;     /* enforce the per-second limits (default on) */
    /* the last AGORA_DSTREAM_WINDOW messages admitted, all streams (ring) */
    int64_t sent_ms[AGORA_DSTREAM_WINDOW];
    uint32_t sent_bytes[AGORA_DSTREAM_WINDOW];
    uint8_t sent_stream[AGORA_DSTREAM_WINDOW];
    int head, used;
} agora_data_streams;

/* The default stream (id 1) exists from the start; the rate limit is on. */
void agora_dstreams_init(agora_data_streams *d);
/* New stream id, or AGORA_ERR_REFUSED when AGORA_MAX_DATA_STREAMS exist. */
int agora_dstreams_create(agora_data_streams *d);
int agora_dstreams_exists(const agora_data_streams *d, int stream_id);
/* AGORA_OK and the message is counted, or AGORA_ERR_TOO_OFTEN when sending
 * `length` bytes on `stream_id` at `now_ms` would exceed a per-second limit
 * (nothing counted). */
int agora_dstreams_admit(agora_data_streams *d, int stream_id, int64_t now_ms, size_t length);
/* The same for a message of any stream, against what one sender may send within
 * a second over all its streams: AGORA_DSTREAM_WINDOW messages,
 * AGORA_STREAM_BYTES_PER_SEC bytes (a receiver that cannot tell the streams apart). */
int agora_dstreams_admit_any(agora_data_streams *d, int64_t now_ms, size_t length);

#endif
