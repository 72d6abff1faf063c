/* Volume indication of the remote users heard by one connection: fed with
 * each received 10 ms frame's labels (I/O thread), read once per reporting
 * interval (media clock thread). The two meet under the meter's own mutex, a
 * leaf lock (nothing else is taken while it is held). */
#ifndef AGORA_RTC_VOLUME_METER_H
#define AGORA_RTC_VOLUME_METER_H

#include <stdint.h>
#include "agora_rtc/audio_labels.h"
#include "agora_rtc/connection.h"

typedef struct agora_volume_meter agora_volume_meter;

/* What one interval produced. speakers is malloc'd (count entries, loudest
 * first, may be NULL when count is 0); the caller frees it. */
typedef struct agora_volume_report {
    agora_audio_volume_info *speakers;
    int count;
    int total_volume;
    int active_changed;                          /* the most active speaker changed */
    char active_speaker[AGORA_MAX_ID_LEN + 1];
} agora_volume_report;

agora_volume_meter *agora_volume_meter_new(void);
void agora_volume_meter_free(agora_volume_meter *m);
/* interval_ms 0 = off; otherwise a multiple of 10 (checked by the caller).
 * Starts a fresh interval at now_ms and forgets every user. */
void agora_volume_meter_configure(agora_volume_meter *m, int interval_ms, int smooth,
                                  int report_vad, int64_t now_ms);
int agora_volume_meter_enabled(agora_volume_meter *m);
/* One received 10 ms frame of user uid. */
void agora_volume_meter_feed(agora_volume_meter *m, const char *uid, const agora_audio_labels *l);
/* When an interval ended at now_ms: fill *out and return 1; otherwise 0
 * (also when off); AGORA_ERR_NO_MEMORY when the report could not be built
 * (the interval is then skipped). */
int agora_volume_meter_take_report(agora_volume_meter *m, int64_t now_ms, agora_volume_report *out);

/* The frame volume (0..255) of a level in dBFS: 510 x the linear RMS, so
 * digital silence is 0, -40 dBFS noise is 5, speech around -20 dBFS is 51 and
 * -6 dBFS RMS or louder is 255. */
int agora_volume_from_dbfs(float dbfs);

#endif
