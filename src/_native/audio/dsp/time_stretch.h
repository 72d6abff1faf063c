/* Time-stretching of decoded speech by one pitch period (WSOLA-style), the
 * way a jitter buffer moves its delay without gaps or dropped packets:
 *
 * - accelerate: x[0..P) and x[P..2P) are cross-faded into P samples, so the
 *   audio gets shorter by P (the delay shrinks by P);
 * - expand ("preemptive expand"): after x[0..P) the period x[P..2P) is
 *   cross-faded into a repeat of x[0..P), so the audio gets longer by P.
 *
 * P is the lag of best normalised correlation between x[0..P) and x[P..2P)
 * (searched on a 4 kHz decimation, then refined at the full rate) between
 * AGORA_STRETCH_MIN_PERIOD_MS and AGORA_STRETCH_MAX_PERIOD_MS; near-silence
 * takes the longest allowed period. The cross-fade is linear and both of its
 * ends meet the neighbouring samples of the input, so the output has no
 * discontinuity: every sample-to-sample step is a mix of the input's steps
 * plus at most |a - b| / P, where a and b are the two cross-faded samples.
 * The first sample of the output is the first sample of the input, so a
 * stretch may start right after audio already played.
 *
 * Pure functions of their arguments: no state, no allocation, any thread. */
#ifndef AGORA_RTC_TIME_STRETCH_H
#define AGORA_RTC_TIME_STRETCH_H

#include <stdint.h>

#define AGORA_STRETCH_MIN_PERIOD_MS 2.5
#define AGORA_STRETCH_MAX_PERIOD_MS 15
#define AGORA_STRETCH_MAX_INPUT 2880 /* samples looked at (60 ms at 48 kHz); more are kept as is */

/* Shorten pcm[0..n) in place by one period of at most max_remove samples.
 * rate: 8000, 12000, 16000, 24000 or 48000. Returns the new length (n when
 * nothing could be removed: n or max_remove shorter than two minimum
 * periods), or AGORA_ERR_INVALID_ARGUMENT (pcm NULL, n < 0, bad rate). */
int agora_time_stretch_accelerate(int16_t *pcm, int n, int rate, int max_remove);

/* Lengthen pcm[0..n) in place by one period of at most max_add samples;
 * cap is the capacity of pcm (>= n). Returns the new length (n when nothing
 * could be added: too short an input, max_add or the room left), or
 * AGORA_ERR_INVALID_ARGUMENT. */
int agora_time_stretch_expand(int16_t *pcm, int n, int cap, int rate, int max_add);

#endif
