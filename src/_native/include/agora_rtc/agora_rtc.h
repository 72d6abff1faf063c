/* Umbrella header of the native RTC C API. */
#ifndef AGORA_RTC_H
#define AGORA_RTC_H
#include "agora_rtc/errors.h"
#include "agora_rtc/audio_labels.h"
#include "agora_rtc/vad.h"
#include "agora_rtc/audio_processing.h"
#include "agora_rtc/audio_frame.h"
#include "agora_rtc/service.h"
#include "agora_rtc/connection.h"
#include "agora_rtc/rtp_transport.h"
#include "agora_rtc/video.h"
#endif
