/* Data streams: id allocation and a sliding one-second window over the last
 * AGORA_DSTREAM_WINDOW admitted messages of all streams, which is enough to
 * decide both the per-stream message count and the connection's byte limit. */
#include "engine/data_stream.h"

#include <string.h>

#include "agora_rtc/errors.h"

void agora_dstreams_init(agora_data_streams *d)
{
    memset(d, 0, sizeof(*d));
    d->count = 1;
    d->rate_limit = 1;
}

int agora_dstreams_create(agora_data_streams *d)
{
    if (d->count >= AGORA_MAX_DATA_STREAMS)
        return AGORA_ERR_REFUSED;
    return ++d->count;
}

int agora_dstreams_exists(const agora_data_streams *d, int stream_id)
{
    return stream_id >= 1 && stream_id <= d->count;
}

/* stream_id 0: count the messages of every stream against `cap` */
static int admit(agora_data_streams *d, int stream_id, int cap, int64_t now_ms, size_t length)
{
    enum { N = AGORA_DSTREAM_WINDOW };
    if (d->rate_limit) {
        int counted = 0;
        size_t bytes = length;
        for (int k = 0; k < d->used; k++) {
            int i = (d->head - 1 - k + N) % N; /* newest first */
            if (now_ms - d->sent_ms[i] >= 1000)
                break;
            counted += stream_id == 0 || d->sent_stream[i] == stream_id;
            bytes += d->sent_bytes[i];
        }
        if (counted >= cap || bytes > AGORA_STREAM_BYTES_PER_SEC)
            return AGORA_ERR_TOO_OFTEN;
    }
    d->sent_ms[d->head] = now_ms;
    d->sent_bytes[d->head] = (uint32_t)length;
    d->sent_stream[d->head] = (uint8_t)stream_id;
    d->head = (d->head + 1) % N;
    if (d->used < N)
        d->used++;
    return AGORA_OK;
}

int agora_dstreams_admit(agora_data_streams *d, int stream_id, int64_t now_ms, size_t length)
{
    return admit(d, stream_id, AGORA_STREAM_MESSAGES_PER_SEC, now_ms, length);
}

int agora_dstreams_admit_any(agora_data_streams *d, int64_t now_ms, size_t length)
{
    return admit(d, 0, AGORA_DSTREAM_WINDOW, now_ms, length);
}
