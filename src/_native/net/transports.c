/* The transports a connection may pick (net/transports.h). */
#include <stddef.h>
#include "net/transports.h"

const agora_transport_ops *const agora_transports[] = {&agora_local_transport, &agora_rtp_transport, NULL};
