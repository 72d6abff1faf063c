/* APM over libspeexdsp (Debian libspeexdsp-dev): one speex preprocessor per
 * channel, noise suppression and AGC switched by flags; its VAD and
 * dereverberation stay at their default, off (the engine has its own VAD). */
#include <speex/speex_preprocess.h>
#include <stdlib.h>
#include "agora_rtc/audio_processing.h"
#include "agora_rtc/errors.h"

#define NS_MAX_ATTENUATION_DB (-30)
#define AGC_TARGET_LEVEL 8000.0f  /* speex's RMS target in int16 units: about -12 dBFS */
#define AGC_MAX_GAIN_DB 30

struct agora_apm {
    int rate, channels, flags, spc;
    SpeexPreprocessState *st[2];
    int16_t scratch[480];         /* one channel of a 48 kHz frame */
};

static int configure(SpeexPreprocessState *st, int flags)
{
    spx_int32_t on = (flags & AGORA_APM_NOISE_SUPPRESSION) != 0;
    spx_int32_t ns_db = NS_MAX_ATTENUATION_DB, agc = (flags & AGORA_APM_AGC) != 0;
    spx_int32_t max_gain = AGC_MAX_GAIN_DB;
    float level = AGC_TARGET_LEVEL;
    if (speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DENOISE, &on) != 0 ||
        speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &ns_db) != 0)
        return -1;
    if (agc && (speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC, &agc) != 0 ||
                speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC_LEVEL, &level) != 0 ||
                speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC_MAX_GAIN, &max_gain) != 0))
        return -1; /* a fixed-point speexdsp build has no AGC: refuse rather than ignore */
    return 0;
}

agora_apm *agora_apm_create(int sample_rate, int channels, int flags)
{
    if (sample_rate < 8000 || sample_rate > 48000 || sample_rate % 100 != 0 ||
        (channels != 1 && channels != 2) || (flags & ~(AGORA_APM_NOISE_SUPPRESSION | AGORA_APM_AGC)))
        return NULL;
    agora_apm *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->rate = sample_rate;
    a->channels = channels;
    a->flags = flags;
    a->spc = sample_rate / 100;
    if (flags) {
        for (int c = 0; c < channels; c++) {
            a->st[c] = speex_preprocess_state_init(a->spc, sample_rate);
            if (!a->st[c] || configure(a->st[c], flags) != 0) {
                agora_apm_destroy(a);
                return NULL;
            }
        }
    }
    return a;
}

void agora_apm_destroy(agora_apm *a)
{
    if (!a)
        return;
    for (int c = 0; c < 2; c++)
        if (a->st[c])
            speex_preprocess_state_destroy(a->st[c]);
    free(a);
}

int agora_apm_flags(const agora_apm *a)
{
    return a ? a->flags : 0;
}

int agora_apm_process(agora_apm *a, int16_t *pcm, int samples_per_channel)
{
    if (!a || !pcm || samples_per_channel != a->spc)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (!a->flags)
        return AGORA_OK;
    if (a->channels == 1) {
        speex_preprocess_run(a->st[0], pcm);
        return AGORA_OK;
    }
    for (int c = 0; c < 2; c++) {
        for (int i = 0; i < a->spc; i++)
            a->scratch[i] = pcm[2 * i + c];
        speex_preprocess_run(a->st[c], a->scratch);
        for (int i = 0; i < a->spc; i++)
            pcm[2 * i + c] = a->scratch[i];
    }
    return AGORA_OK;
}
