/* The transports a connection may pick (transport.h). */
#include <stddef.h>
#include "agora_rtc/connection.h"
#include "transport.h"

const agora_transport_ops *const agora_transports[] = {&agora_local_transport, &agora_rtp_transport, NULL};

const agora_transport_ops *agora_transport_of(int kind)
{
    switch (kind) {
    case AGORA_TRANSPORT_LOCAL: return &agora_local_transport;
    case AGORA_TRANSPORT_RTP: return &agora_rtp_transport;
    default: return NULL;
    }
}
