/* The observer tables a connection holds (the connection's own observers in
 * connection.c / delivery.c, its video observers in video_delivery.c), all
 * under conn->mu: whether one is registered (*set) and how many calls to it
 * are in flight (*in_flight). The delivery thread copies a table and counts
 * its call under conn->mu, calls it with no lock held, then ends the call;
 * unregistering clears the table and waits until no call is in flight, unless
 * it runs inside that call on the delivery thread (it would wait for itself). */
#ifndef AGORA_RTC_OBSERVER_SLOT_H
#define AGORA_RTC_OBSERVER_SLOT_H

#include <stddef.h>

typedef struct agora_rtc_conn agora_rtc_conn;

/* Copy size bytes of table into slot and mark it registered (takes conn->mu). */
void agora_observer_install(agora_rtc_conn *c, int *set, void *slot, const void *table, size_t size);
/* conn->mu held: mark slot unregistered, zero it, wait for the calls in flight. */
void agora_observer_remove_locked(agora_rtc_conn *c, int *set, const int *in_flight, void *slot,
                                  size_t size);
/* A call counted in *in_flight returned (takes conn->mu, wakes a waiting unregister). */
void agora_observer_call_end(agora_rtc_conn *c, int *in_flight);

#endif
