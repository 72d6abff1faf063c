#include <stdlib.h>
#include "audio/send/encoded_packet.h"
#include "audio/send/sent_frame.h"

agora_sent_frame *agora_sent_frame_new(int sample_rate, int channels, int spc)
{
    agora_sent_frame *f = calloc(1, sizeof(*f) + sizeof(int16_t) * (size_t)spc * (size_t)channels);
    if (!f)
        return NULL;
    atomic_init(&f->refs, 1);
    f->sample_rate = sample_rate;
    f->channels = channels;
    f->samples_per_channel = spc;
    return f;
}

void agora_sent_frame_ref(agora_sent_frame *f)
{
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

void agora_sent_frame_unref(agora_sent_frame *f)
{
    if (f && atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1) {
        agora_encoded_packet_unref(f->encoded);
        free(f);
    }
}
