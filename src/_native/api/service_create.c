/* The public agora_service_create: the engine with the transports of the net
 * layer. The only file that names both, so the engine below never depends on
 * the transports above it (docs/ARCHITECTURE.md, "The C engine's layers"). */
#include "agora_rtc/service.h"
#include "engine/engine.h"
#include "net/transports.h"

agora_service *agora_service_create(void)
{
    return agora_engine_service_new(agora_transports);
}
