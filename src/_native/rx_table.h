/* The receive paths of one connection, keyed by remote user id (hash table;
 * an agent hearing thousands of users looks each frame's path up in O(1)).
 * I/O thread only. */
#ifndef AGORA_RTC_RX_TABLE_H
#define AGORA_RTC_RX_TABLE_H

#include "receive_path.h"

typedef struct agora_rx_table {
    agora_rx_path **buckets;
    unsigned nbuckets;   /* power of two, 0 until first use */
    unsigned count;
} agora_rx_table;

/* The path of uid; created when absent and create is set (NULL on OOM). */
agora_rx_path *agora_rx_table_get(agora_rx_table *t, const char *uid, int create);
void agora_rx_table_drop(agora_rx_table *t, const char *uid);
void agora_rx_table_clear(agora_rx_table *t);

#endif
