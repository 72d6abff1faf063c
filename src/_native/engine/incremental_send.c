/* Incremental send: the configuration call (the pacing itself is the send
 * queue's tick budget, send_queue.c). */
#include "agora_rtc/errors.h"
#include "engine/engine.h"

int agora_rtc_conn_set_incremental_send(agora_rtc_conn *conn, int send_ms, int speed)
{
    if (!conn || send_ms < 0 || send_ms > AGORA_MAX_INCREMENTAL_SEND_MS || speed < 1 ||
        speed > AGORA_MAX_INCREMENTAL_SEND_SPEED)
        return AGORA_ERR_INVALID_ARGUMENT;
    agora_sendq_set_burst(&conn->sendq, send_ms, send_ms > 0 ? speed : 1);
    return AGORA_OK;
}
