/* Remote streams by SSRC and user id (stream_table.h). */
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/errors.h"
#include "core/growable.h"
#include "net/rtp/stream_table.h"

int rtp_streams_find_ssrc(const rtp_stream_table *t, uint32_t ssrc)
{
    for (int i = 0; i < t->count; i++)
        if (t->entries[i].ssrc == ssrc)
            return i;
    return -1;
}

int rtp_streams_find_uid(const rtp_stream_table *t, const char *uid)
{
    for (int i = 0; i < t->count; i++)
        if (strcmp(t->entries[i].uid, uid) == 0)
            return i;
    return -1;
}

void *rtp_streams_get(const rtp_stream_table *t, int i)
{
    return i >= 0 && i < t->count ? t->entries[i].stream : NULL;
}

int rtp_streams_add(rtp_stream_table *t, uint32_t ssrc, const char *uid, void *stream)
{
    void *grown = agora_grow(t->entries, t->count, &t->cap, sizeof(*t->entries), 4);
    if (!grown)
        return AGORA_ERR_NO_MEMORY;
    t->entries = grown;
    t->entries[t->count++] = (rtp_stream_entry){.ssrc = ssrc, .uid = uid, .stream = stream};
    return AGORA_OK;
}

void *rtp_streams_take(rtp_stream_table *t, int i)
{
    void *stream = t->entries[i].stream;
    t->entries[i] = t->entries[--t->count];
    return stream;
}

void rtp_streams_free(rtp_stream_table *t)
{
    free(t->entries);
    t->entries = NULL;
    t->count = t->cap = 0;
}
