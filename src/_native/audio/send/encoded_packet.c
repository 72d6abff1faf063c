#include <stdlib.h>
#include <string.h>
#include "audio/send/encoded_packet.h"

agora_encoded_packet *agora_encoded_packet_new(const uint8_t *data, size_t length,
                                               const agora_encoded_audio_info *info)
{
    agora_encoded_packet *p = malloc(sizeof(*p) + length);
    if (!p)
        return NULL;
    atomic_init(&p->refs, 1);
    p->info = *info;
    p->length = length;
    memcpy(p->data, data, length);
    return p;
}

void agora_encoded_packet_ref(agora_encoded_packet *p)
{
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

void agora_encoded_packet_unref(agora_encoded_packet *p)
{
    if (p && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
        free(p);
}
