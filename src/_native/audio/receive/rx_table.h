/* The receive paths of one connection, keyed by remote user id (hash table;
 * an agent hearing thousands of users looks each frame's path up in O(1)).
 * I/O thread only. */
#ifndef AGORA_RTC_RX_TABLE_H
#define AGORA_RTC_RX_TABLE_H

#include "audio/receive/receive_path.h"

typedef struct agora_rx_table {
    agora_rx_path **buckets;
    unsigned nbuckets;   /* power of two, 0 until first use */
    unsigned count;
    unsigned gen;        /* new (process-unique) value at first use and whenever a path is
                          * freed: invalidates agora_rx_hint; 0 = never used */
} agora_rx_table;

/* A remembered lookup (the local hub keeps one per sender): valid while the
 * table and its gen are the same, so a sender heard by one listener skips the
 * hash and the string compares on every frame. */
typedef struct agora_rx_hint {
    const agora_rx_table *table;
    unsigned gen;
    agora_rx_path *path;
} agora_rx_hint;

/* The path of uid; created when absent and create is set (NULL on OOM). */
agora_rx_path *agora_rx_table_get(agora_rx_table *t, const char *uid, int create);
/* The same through a hint (NULL: plain lookup); the hint remembers the result. */
agora_rx_path *agora_rx_table_get_hinted(agora_rx_table *t, const char *uid, agora_rx_hint *hint);
void agora_rx_table_drop(agora_rx_table *t, const char *uid);
void agora_rx_table_clear(agora_rx_table *t);

#endif
