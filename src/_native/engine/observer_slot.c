/* Observer tables of a connection: registration and in-flight calls (observer_slot.h). */
#include <string.h>
#include "engine/engine.h"
#include "engine/observer_slot.h"

void agora_observer_install(agora_rtc_conn *c, int *set, void *slot, const void *table, size_t size)
{
    pthread_mutex_lock(&c->mu);
    memcpy(slot, table, size);
    *set = 1;
    pthread_mutex_unlock(&c->mu);
}

void agora_observer_remove_locked(agora_rtc_conn *c, int *set, const int *in_flight, void *slot,
                                  size_t size)
{
    int self = agora_service_on_delivery_thread(c->svc);
    *set = 0;
    memset(slot, 0, size);
    while (!self && *in_flight > 0)
        pthread_cond_wait(&c->cv, &c->mu);
}

void agora_observer_call_end(agora_rtc_conn *c, int *in_flight)
{
    pthread_mutex_lock(&c->mu);
    (*in_flight)--;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}
