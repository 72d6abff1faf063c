/* Server-side audio processing of a connection's received audio: the
 * setting (the processing itself runs in each receive path, audio_processing.c). */
#include "agora_rtc/errors.h"
#include "engine/engine.h"

int agora_rtc_conn_set_audio_processing(agora_rtc_conn *c, int flags)
{
    if (!c || (flags & ~(AGORA_APM_NOISE_SUPPRESSION | AGORA_APM_AGC)))
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->mu);
    c->apm_flags = flags;
    pthread_mutex_unlock(&c->mu);
    return AGORA_OK;
}
