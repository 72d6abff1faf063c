/* The remote streams of an RTP connection, by SSRC and by user id: the audio
 * remotes (rtp_transport.c) and the video remotes (rtp_video_plane.c) keep one
 * each. An unordered array (removing an entry moves the last one into its
 * place); an entry points at its stream, whose memory holds the uid. I/O
 * thread only, like the rest of the RTP media state. */
#ifndef AGORA_RTC_STREAM_TABLE_H
#define AGORA_RTC_STREAM_TABLE_H

#include <stdint.h>

typedef struct rtp_stream_entry {
    uint32_t ssrc;
    const char *uid;           /* points into the stream */
    void *stream;
} rtp_stream_entry;

typedef struct rtp_stream_table {
    rtp_stream_entry *entries;
    int count, cap;
} rtp_stream_table;

/* The index of the stream with this SSRC / user id, or -1. */
int rtp_streams_find_ssrc(const rtp_stream_table *t, uint32_t ssrc);
int rtp_streams_find_uid(const rtp_stream_table *t, const char *uid);
/* The stream at index i, NULL for -1. */
void *rtp_streams_get(const rtp_stream_table *t, int i);
/* AGORA_OK, or AGORA_ERR_NO_MEMORY (the table is unchanged). */
int rtp_streams_add(rtp_stream_table *t, uint32_t ssrc, const char *uid, void *stream);
/* Remove entry i and return its stream (the caller frees it). */
void *rtp_streams_take(rtp_stream_table *t, int i);
/* Free the array (not the streams: take or free them first). */
void rtp_streams_free(rtp_stream_table *t);

#endif
