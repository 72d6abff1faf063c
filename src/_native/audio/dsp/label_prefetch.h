/* Engine-internal: warm the caches for a label analyser that is about to run.
 * With thousands of received streams every analyser's state is cold when its
 * next frame comes; the receive pool asks for the next job's state while the
 * current job computes, so its first touches do not stall one by one. */
#ifndef AGORA_RTC_LABEL_PREFETCH_H
#define AGORA_RTC_LABEL_PREFETCH_H

#include "agora_rtc/audio_labels.h"

/* A hint only (no effect on results); a may be NULL. */
void agora_label_analyzer_prefetch(const agora_label_analyzer *a);

#endif
