/* An encoded audio packet pushed with push_audio_encoded_data (or received
 * over RTP): shared read-only by the send queue, the frames cut from it and
 * every receiver's event (reference counted). */
#ifndef AGORA_RTC_ENCODED_PACKET_H
#define AGORA_RTC_ENCODED_PACKET_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "agora_rtc/connection.h"

typedef struct agora_encoded_packet {
    atomic_int refs;
    agora_encoded_audio_info info;
    size_t length;
    uint8_t data[];
} agora_encoded_packet;

agora_encoded_packet *agora_encoded_packet_new(const uint8_t *data, size_t length,
                                               const agora_encoded_audio_info *info);
void agora_encoded_packet_ref(agora_encoded_packet *p);
void agora_encoded_packet_unref(agora_encoded_packet *p); /* NULL is a no-op */

#endif
