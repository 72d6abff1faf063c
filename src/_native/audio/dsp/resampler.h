/* Streaming PCM resampler and channel converter (internal to the engine).
 * int16 interleaved in, int16 interleaved out; rates 8000..48000 Hz;
 * 1 or 2 channels each side (stereo->mono averages, mono->stereo duplicates).
 * When in_rate == out_rate and the channel counts match it is an exact copy.
 *
 * Behaviour contract
 * ------------------
 * - in_rate == out_rate: no filtering, zero latency, one output frame per
 *   input frame. Same channel count: bit-exact copy. 2 -> 1: (l + r) / 2
 *   rounded half away from zero. 1 -> 2: the sample is duplicated.
 * - in_rate != out_rate: polyphase Kaiser-windowed-sinc resampler with the
 *   exact ratio out_rate/in_rate = L/M (reduced by their gcd; 44100 -> 16000
 *   is 160/441). Cut-off (-6 dB) at 0.9 of the lower Nyquist frequency,
 *   Kaiser beta 8: flat (within ~0.002 dB) to 0.7, -0.3 dB at 0.8, at least
 *   ~82 dB of attenuation from 1.1 times the lower Nyquist frequency on.
 *   Float arithmetic, output rounded half away from zero and saturated.
 *   Channel conversion is done on the lower-channel side (average before
 *   filtering, duplicate after), so stereo costs twice mono only for 2 -> 2.
 *   - Taps per phase: T = AGORA_RS_WIDTH (32) samples of the lower rate,
 *     expressed in input samples and rounded up to a multiple of 8:
 *     T = roundup8(in_rate <= out_rate ? 32 : ceil(32 * in_rate / out_rate)),
 *     e.g. 32 for any upsampling, 96 for 48k->16k and 44.1k->16k.
 *   - Output count (no drift): after N input frames in total since create or
 *     reset, however they were split into calls (0- and 1-frame calls
 *     included), exactly floor(N * L / M) output frames have been returned.
 *     There is no flush: the last filter-delay's worth of signal stays inside
 *     until more input arrives.
 *   - Delay: output frame k (k = 0, 1, ... since create/reset) is the input
 *     signal band-limited and evaluated at input time
 *         t_k = ((k + 1) * M - 1) / L  -  T / 2      [input sample periods],
 *     i.e. a constant group delay of  D_in = T/2 - (M - 1)/L  input samples
 *     = D_in / in_rate seconds (16k->48k: 16 input samples = 1 ms;
 *     48k->16k: 46 input samples = 0.958 ms). Before the stream started the
 *     input is taken to be silence.
 *   - Splitting: output is bit-identical whatever the call sizes are.
 *   - Memory: one table of L * T floats per instance (at most 64 Ki
 *     coefficients for every pair of standard rates). Rate pairs whose L * T
 *     would be larger (odd pairs such as 44100 -> 47999) use a 513-row table
 *     with linear interpolation between neighbouring rows instead; counting
 *     and delay rules are the same.
 * - Not thread safe per instance; distinct instances are independent (no
 *   global mutable state). in and out must not overlap, except that an exact
 *   copy (same rate, same channels) may be done in place. */
#ifndef AGORA_RTC_RESAMPLER_H
#define AGORA_RTC_RESAMPLER_H

#include <stdint.h>

typedef struct agora_resampler agora_resampler;

/* Rates: any integer in 8000..48000. Channels: 1 or 2 on each side.
 * Returns NULL for any other argument or when out of memory. */
agora_resampler *agora_resampler_create(int in_rate, int in_channels,
                                        int out_rate, int out_channels);
/* NULL is a no-op. */
void agora_resampler_destroy(agora_resampler *r);
/* Forget history (start of a new, unrelated stream): the instance behaves
 * exactly like a freshly created one (output count restarts at 0).
 * NULL is a no-op. */
void agora_resampler_reset(agora_resampler *r);
/* Upper bound of output sample frames one call with in_frames can produce.
 * It does not depend on the stream state: ceil(in_frames * L / M)
 * (in_frames itself when the rates are equal), so a buffer sized for the
 * largest input chunk is always big enough. AGORA_ERR_INVALID_ARGUMENT when
 * r is NULL, in_frames < 0 or the bound would not fit in an int. */
int agora_resampler_max_output(const agora_resampler *r, int in_frames);
/* Consume all in_frames sample frames; write at most out_cap sample frames.
 * Returns the number of sample frames written, or a negative error code
 * (AGORA_ERR_BUFFER_TOO_SMALL when out_cap < agora_resampler_max_output). */
/* Errors (nothing is consumed, the state is unchanged):
 * AGORA_ERR_INVALID_ARGUMENT when r is NULL, in_frames < 0, out_cap < 0,
 * in is NULL with in_frames > 0, out is NULL with out_cap > 0, or
 * max_output(in_frames) would not fit in an int;
 * AGORA_ERR_BUFFER_TOO_SMALL when out_cap < agora_resampler_max_output(r,
 * in_frames), even if this particular call would have produced fewer frames.
 * in_frames == 0 is valid and returns 0. Frames are interleaved; out_cap and
 * the return value count frames (samples per channel), not int16 values. */
int agora_resampler_process(agora_resampler *r, const int16_t *in, int in_frames,
                            int16_t *out, int out_cap);

#endif
