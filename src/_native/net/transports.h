/* The transports of the net layer, for the layer that assembles a service
 * (api/service_create.c). */
#ifndef AGORA_RTC_TRANSPORTS_H
#define AGORA_RTC_TRANSPORTS_H

#include "engine/transport.h"

extern const agora_transport_ops agora_local_transport; /* net/local/local_network.c */
extern const agora_transport_ops agora_rtp_transport;   /* net/rtp/rtp_transport.c */

/* Every transport (NULL-terminated). */
extern const agora_transport_ops *const agora_transports[];

#endif
