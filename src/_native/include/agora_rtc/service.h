/* The service: one per process. It owns the engine threads (media clock,
 * network I/O, observer delivery) and the transport (the in-process `local`
 * channel hub by default). */
#ifndef AGORA_RTC_SERVICE_H
#define AGORA_RTC_SERVICE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct agora_service agora_service;

typedef struct agora_service_config {
    const char *app_id;         /* copied; may be NULL */
    const char *transport_url;  /* NULL, "" or "local://..." = in-process network */
    int audio_scenario;         /* AUDIO_SCENARIO_* (informational on `local`) */
    int prefill_ms;             /* burst sent at the start of a round of audio, 0..500 */
    int use_string_uid;
    int receive_threads;        /* threads doing receive work (resample, labels, VAD):
                                   0 = auto (online CPUs, at most 4), else 1..16 */
} agora_service_config;

agora_service *agora_service_create(void);
/* Validates the config and starts the engine threads. Once per service. */
int agora_service_initialize(agora_service *svc, const agora_service_config *cfg);
/* Destroys every connection still alive, stops and joins the engine threads,
 * frees the service. Must not be called from an observer callback
 * (returns AGORA_ERR_INVALID_STATE there). The pointer is invalid afterwards. */
int agora_service_release(agora_service *svc);
/* Prefill (0..500 ms) of connections created from now on; connections that
 * exist keep theirs. AGORA_ERR_INVALID_ARGUMENT out of range,
 * AGORA_ERR_INVALID_STATE before initialize. */
int agora_service_set_prefill_ms(agora_service *svc, int prefill_ms);
/* Period of on_transport_stats / on_audio_track_stats (100..60000 ms, default
 * AGORA_STATS_INTERVAL_MS); the next tick comes one new period from now. */
#define AGORA_STATS_INTERVAL_MS 2000
int agora_service_set_stats_interval_ms(agora_service *svc, int interval_ms);
/* 1 when the calling thread is the service's observer-delivery thread. */
int agora_service_on_delivery_thread(const agora_service *svc);
/* Engine monotonic clock in milliseconds (CLOCK_MONOTONIC). */
int64_t agora_monotonic_ms(void);

#ifdef __cplusplus
}
#endif
#endif
