/* libFuzzer harness: the jitter buffer (src/_native/net/rtp/jitter_buffer.c) driven
 * by an arbitrary sequence of inserts (ssrc, seq, timestamp, marker, payload,
 * arrival jitter), keepalive skips, pulls on the playout clock (after quiet audio or not),
 * peeks and resets, with the buffer's invariants checked after every step. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/errors.h"
#include "net/rtp/jitter_buffer.h"

static volatile uint32_t sink;

typedef struct { const uint8_t *p; size_t n; } reader;

static uint32_t take(reader *r, int bytes)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++) {
        v = v << 8 | (r->n ? *r->p : 0);
        if (r->n) {
            r->p++;
            r->n--;
        }
    }
    return v;
}

static void check_frame(const agora_jb_frame *f, int kind)
{
    if (kind == AGORA_JB_PACKET) {
        if (!f->payload && f->payload_len)
            abort();
        for (size_t i = 0; i < f->payload_len; i++)
            sink += f->payload[i];
    }
    if (kind == AGORA_JB_LOST && f->fec_payload)
        for (size_t i = 0; i < f->fec_payload_len; i++)
            sink += f->fec_payload[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    agora_jb_config cfg;
    agora_jb_config_default(&cfg);
    /* sometimes a non-default (valid or not) configuration */
    if (take(&r, 1) & 1) {
        cfg.frame_ms = 10 + (int)(take(&r, 1) % 111);
        cfg.min_delay_ms = (int)take(&r, 2) % 1100;
        cfg.initial_delay_ms = (int)take(&r, 2) % 1100;
        cfg.max_delay_ms = (int)take(&r, 2) % 1100;
        uint32_t mode = take(&r, 1);
        cfg.time_stretch = (int)(mode & 1);
        cfg.fec = (int)(mode >> 1 & 1);
    }
    agora_jb *jb = agora_jb_create(&cfg);
    if (!jb)
        return 0;
    int64_t now = (int64_t)take(&r, 4);
    uint16_t seq = (uint16_t)take(&r, 2);
    uint32_t ts = take(&r, 4);
    uint8_t payload[AGORA_JB_MAX_PAYLOAD + 16];
    uint64_t taken = 0; /* packets the buffer took: each must end in one counter */
    while (r.n) {
        uint8_t op = (uint8_t)take(&r, 1);
        switch (op % 8) {
        case 0: case 1: case 2: { /* insert near the current position, or anywhere */
            uint32_t ssrc = 1 + (take(&r, 1) % 3);
            int16_t dseq = (int16_t)take(&r, 2);
            if (op & 0x80)
                dseq = (int16_t)(dseq % 8);
            seq = (uint16_t)(seq + dseq);
            ts += (op & 0x40) ? take(&r, 4) : 960u * (uint32_t)(int16_t)dseq;
            size_t len = take(&r, 2) % (sizeof(payload));
            for (size_t i = 0; i < len; i++)
                payload[i] = (uint8_t)(i ^ op);
            int64_t arrival = now + (int8_t)take(&r, 1);
            int rc = agora_jb_insert(jb, ssrc, seq, ts, op & 1, len ? payload : NULL, len, arrival);
            if (rc >= 0 || rc == AGORA_ERR_TOO_LARGE)
                taken++;
            if (len > AGORA_JB_MAX_PAYLOAD && rc >= 0)
                abort(); /* oversize must be refused */
            break;
        }
        case 3: case 4: case 5: { /* playout ticks, after quiet audio or not */
            int ticks = 1 + (int)(take(&r, 1) % 16);
            agora_jb_set_quiet_tail(jb, op & 0x40);
            for (int i = 0; i < ticks; i++) {
                agora_jb_frame f;
                now += cfg.frame_ms;
                int kind = agora_jb_pull(jb, now, &f);
                check_frame(&f, kind);
                const uint8_t *p;
                size_t n;
                if (agora_jb_peek_next(jb, &p, &n) == 1)
                    for (size_t j = 0; j < n; j++)
                        sink += p[j];
            }
            break;
        }
        case 6: /* the clock jumps (a stall of the I/O thread, or backwards) */
            now += (int16_t)take(&r, 2);
            break;
        default:
            if ((op & 0x70) == 0) {
                agora_jb_reset(jb);
            } else if (op & 0x10) { /* a keepalive: a sequence number without audio */
                uint32_t ssrc = 1 + (take(&r, 1) % 3);
                seq = (uint16_t)(seq + (int16_t)take(&r, 1) % 8);
                if (agora_jb_skip(jb, ssrc, seq) < 0)
                    abort();
            }
            break;
        }
        agora_jb_stats st;
        agora_jb_get_stats(jb, &st);
        if (st.buffered < 0)
            abort();
        /* every packet taken is accounted for, once */
        if (st.played + st.late + st.duplicates + st.dropped + st.invalid + st.flushed +
                (uint64_t)st.buffered != taken)
            abort();
    }
    agora_jb_destroy(jb);
    return 0;
}
