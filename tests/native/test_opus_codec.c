/* Unit test of src/_native/audio/codec/opus_codec.c (libopus wrappers). Returns 0 on
 * success; prints the failed check(s) and returns 1 otherwise. Build and run
 * (from the repo root):
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -Isrc/_native/include \
 *       -Isrc/_native $(pkg-config --cflags opus) src/_native/audio/codec/opus_codec.c \
 *       tests/native/test_opus_codec.c $(pkg-config --libs opus) -lm \
 *       -o /tmp/test_opus_codec && /tmp/test_opus_codec
 * Sanitizers: add -g -fsanitize=address,undefined -fno-sanitize-recover=all. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agora_rtc/errors.h"
#include "audio/codec/opus_codec.h"

#include "native_test.h"

static const double PI = 3.14159265358979323846;
#define FR AGORA_OPUS_FRAME_SAMPLES
#define NFRAMES 100 /* 2 s */

/* 440 Hz tone at -6 dBFS, channel 1 of a stereo signal at 660 Hz. */
static void make_tone(int16_t *pcm, int frames, int channels)
{
    for (int n = 0; n < frames * FR; n++) {
        double t = (double)n / AGORA_OPUS_SAMPLE_RATE;
        pcm[n * channels] = (int16_t)lrint(16384.0 * sin(2 * PI * 440.0 * t));
        if (channels == 2)
            pcm[n * channels + 1] = (int16_t)lrint(16384.0 * sin(2 * PI * 660.0 * t));
    }
}

static double rms(const int16_t *x, int n, int stride)
{
    double e = 0;
    for (int i = 0; i < n; i++)
        e += (double)x[i * stride] * x[i * stride];
    return n ? sqrt(e / n) : 0;
}

/* Best lag (min_lag..max_lag) of y against x by normalised
 * cross-correlation on samples [from, from + len) of x; returns the
 * correlation, *lag_out. */
static double best_lag(const int16_t *x, const int16_t *y, int stride, int from, int len,
                       int min_lag, int max_lag, int *lag_out)
{
    double best = -2;
    int bl = 0;
    for (int lag = min_lag < 0 ? 0 : min_lag; lag <= max_lag; lag++) {
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = from; i < from + len; i++) {
            double a = x[i * stride], b = y[(i + lag) * stride];
            sxy += a * b;
            sxx += a * a;
            syy += b * b;
        }
        double c = (sxx > 0 && syy > 0) ? sxy / sqrt(sxx * syy) : 0;
        if (c > best) {
            best = c;
            bl = lag;
        }
    }
    *lag_out = bl;
    return best;
}

/* SNR (dB) of y (delayed by lag) against x, with the least-squares gain. */
static double snr_db(const int16_t *x, const int16_t *y, int stride, int from, int len, int lag)
{
    double sxy = 0, syy = 0, sxx = 0;
    for (int i = from; i < from + len; i++) {
        double a = x[i * stride], b = y[(i + lag) * stride];
        sxy += a * b;
        syy += b * b;
        sxx += a * a;
    }
    double g = syy > 0 ? sxy / syy : 0, err = 0;
    for (int i = from; i < from + len; i++) {
        double d = x[i * stride] - g * y[(i + lag) * stride];
        err += d * d;
    }
    return 10 * log10(sxx / (err > 0 ? err : 1e-9));
}

static void test_tone(int channels, int bitrate)
{
    int16_t *in = calloc((size_t)NFRAMES * FR * channels, sizeof(int16_t));
    int16_t *out = calloc((size_t)NFRAMES * FR * channels, sizeof(int16_t));
    make_tone(in, NFRAMES, channels);
    agora_opus_encoder *enc = agora_opus_encoder_create(channels, bitrate, 10);
    agora_opus_decoder *dec = agora_opus_decoder_create(channels);
    CHECK(enc && dec, "create");
    CHECK(agora_opus_encoder_channels(enc) == channels && agora_opus_decoder_channels(dec) == channels,
          "channels");
    int lookahead = agora_opus_encoder_lookahead(enc);
    uint8_t pkt[AGORA_OPUS_MAX_PACKET];
    long bytes = 0;
    for (int f = 0; f < NFRAMES; f++) {
        int n = agora_opus_encode(enc, in + (size_t)f * FR * channels, pkt, sizeof(pkt));
        CHECK(n > 0 && n <= 1275, "encode %d", n);
        if (n <= 0)
            break;
        bytes += n;
        int m = agora_opus_decode(dec, pkt, n, out + (size_t)f * FR * channels, FR);
        CHECK(m == FR, "decode %d", m);
    }
    /* compare 1 s from 0.5 s on. The codec delay is the encoder lookahead
     * (312 samples = 6.5 ms); a pure tone correlates equally well every
     * period (109 samples at 440 Hz), so search only +-half a period. */
    int lag = 0;
    double c = best_lag(in, out, channels, 24000, 48000, lookahead - 54, lookahead + 54, &lag);
    double snr = snr_db(in, out, channels, 24000, 48000, lag);
    CHECK(c > 0.95, "correlation %.4f", c);
    CHECK(snr > 12.0, "SNR %.1f dB", snr);
    CHECK(lookahead > 0 && abs(lag - lookahead) <= 24, "lag %d vs lookahead %d", lag, lookahead);
    double kbps = bytes * 8.0 / (NFRAMES * 0.02) / 1000.0;
    CHECK(kbps > bitrate / 1000.0 * 0.3 && kbps < bitrate / 1000.0 * 1.5, "bitrate %.1f kbps", kbps);
    printf("tone %s %d bps: lag %d samples (lookahead %d), corr %.4f, SNR %.1f dB, %.1f kbps\n",
           channels == 1 ? "mono" : "stereo", bitrate, lag, lookahead, c, snr, kbps);
    if (channels == 2) {
        int lag2 = 0;
        double c2 = best_lag(in + 1, out + 1, 2, 24000, 48000, lookahead - 36, lookahead + 36, &lag2);
        CHECK(c2 > 0.9, "right channel correlation %.4f", c2);
    }
    agora_opus_encoder_destroy(enc);
    agora_opus_decoder_destroy(dec);
    free(in);
    free(out);
}

/* Drop one packet: FEC from the next packet restores it (non-silent, close
 * to what the lost packet decodes to, much closer than PLC), PLC is the
 * fallback. onset: the signal starts exactly at the lost packet (PLC can
 * only extrapolate silence there). */
static void test_fec_and_plc(int onset)
{
    const int LOST = 50;
    /* a voice-like signal: 220 Hz with harmonics, amplitude-modulated */
    int16_t *in = calloc((size_t)NFRAMES * FR, sizeof(int16_t));
    for (int n = 0; n < NFRAMES * FR; n++) {
        double t = (double)n / AGORA_OPUS_SAMPLE_RATE;
        double env = 0.6 + 0.4 * sin(2 * PI * 3 * t);
        double v = sin(2 * PI * 220 * t) + 0.5 * sin(2 * PI * 440 * t) + 0.25 * sin(2 * PI * 880 * t);
        in[n] = (onset && n < LOST * FR) ? 0 : (int16_t)lrint(9000.0 * env * v);
    }
    agora_opus_encoder *enc = agora_opus_encoder_create(1, 32000, 20);
    static uint8_t pkts[NFRAMES][AGORA_OPUS_MAX_PACKET];
    int lens[NFRAMES];
    for (int f = 0; f < NFRAMES; f++) {
        lens[f] = agora_opus_encode(enc, in + (size_t)f * FR, pkts[f], AGORA_OPUS_MAX_PACKET);
        CHECK(lens[f] > 0, "encode");
    }
    agora_opus_encoder_destroy(enc);

    int16_t *ref = calloc((size_t)NFRAMES * FR, sizeof(int16_t));
    int16_t *fec = calloc((size_t)NFRAMES * FR, sizeof(int16_t));
    int16_t *plc = calloc((size_t)NFRAMES * FR, sizeof(int16_t));
    agora_opus_decoder *d_ref = agora_opus_decoder_create(1);
    agora_opus_decoder *d_fec = agora_opus_decoder_create(1);
    agora_opus_decoder *d_plc = agora_opus_decoder_create(1);
    for (int f = 0; f < NFRAMES; f++) {
        int16_t *o_ref = ref + (size_t)f * FR, *o_fec = fec + (size_t)f * FR,
                *o_plc = plc + (size_t)f * FR;
        CHECK(agora_opus_decode(d_ref, pkts[f], lens[f], o_ref, FR) == FR, "ref");
        if (f == LOST) {
            int n = agora_opus_decode_fec(d_fec, pkts[f + 1], lens[f + 1], o_fec, FR);
            CHECK(n == FR, "fec returned %d", n);
            n = agora_opus_decode_plc(d_plc, o_plc, FR);
            CHECK(n == FR, "plc returned %d", n);
        } else {
            CHECK(agora_opus_decode(d_fec, pkts[f], lens[f], o_fec, FR) == FR, "fec path");
            CHECK(agora_opus_decode(d_plc, pkts[f], lens[f], o_plc, FR) == FR, "plc path");
        }
    }
    const int16_t *rf = ref + (size_t)LOST * FR, *fc = fec + (size_t)LOST * FR,
                  *pc = plc + (size_t)LOST * FR;
    double r_ref = rms(rf, FR, 1), r_fec = rms(fc, FR, 1), r_plc = rms(pc, FR, 1);
    CHECK(r_fec > 0.3 * r_ref, "FEC frame is not silent: rms %.0f vs %.0f", r_fec, r_ref);
    /* waveform SNR of the recovered frame against the decode of the lost one */
    double e_ref = 0, e_fec = 0, e_plc = 0;
    for (int i = 0; i < FR; i++) {
        e_ref += (double)rf[i] * rf[i];
        e_fec += ((double)rf[i] - fc[i]) * ((double)rf[i] - fc[i]);
        e_plc += ((double)rf[i] - pc[i]) * ((double)rf[i] - pc[i]);
    }
    double snr_fec = 10 * log10(e_ref / (e_fec + 1e-9)), snr_plc = 10 * log10(e_ref / (e_plc + 1e-9));
    /* LBRR is a low-rate re-encoding: on a stationary signal it is only
     * somewhat better than PLC; at an onset PLC has nothing to go on */
    double need = onset ? 15.0 : 8.0, margin = onset ? 10.0 : 1.0;
    CHECK(snr_fec > need, "FEC frame SNR %.1f dB", snr_fec);
    CHECK(snr_fec > snr_plc + margin, "FEC (%.1f dB) beats PLC (%.1f dB)", snr_fec, snr_plc);
    printf("loss of packet %d%s: FEC rms %.0f SNR %.1f dB; PLC rms %.0f SNR %.1f dB; "
           "reference rms %.0f\n",
           LOST, onset ? " (at an onset)" : "", r_fec, snr_fec, r_plc, snr_plc, r_ref);
    /* after the loss both decoders resynchronise with the reference */
    double tail_err = 0, tail_e = 0;
    for (int i = (LOST + 3) * FR; i < (LOST + 6) * FR; i++) {
        double d = (double)ref[i] - fec[i];
        tail_err += d * d;
        tail_e += (double)ref[i] * ref[i];
    }
    CHECK(tail_err < 0.05 * tail_e, "FEC decoder converges back (%.4f)", tail_err / tail_e);

    /* PLC lengths: 10, 20, 40, 60 ms; bad lengths rejected */
    int16_t buf[AGORA_OPUS_MAX_FRAME_SAMPLES * 2];
    int lens_ok[] = {480, 960, 1920, 2880, 5760};
    for (size_t i = 0; i < sizeof(lens_ok) / sizeof(lens_ok[0]); i++)
        CHECK(agora_opus_decode_plc(d_plc, buf, lens_ok[i]) == lens_ok[i], "plc %d", lens_ok[i]);
    CHECK(agora_opus_decode_plc(d_plc, buf, 100) == AGORA_ERR_INVALID_ARGUMENT, "plc 100");
    CHECK(agora_opus_decode_plc(d_plc, buf, 5880) == AGORA_ERR_INVALID_ARGUMENT, "plc 5880");
    CHECK(agora_opus_decode_plc(d_plc, NULL, 960) == AGORA_ERR_INVALID_ARGUMENT, "plc null");
    /* a long PLC run (about 0.7 s in all) fades out */
    for (int i = 0; i < 20; i++)
        agora_opus_decode_plc(d_plc, buf, FR);
    if (!onset)
        CHECK(rms(buf, FR, 1) < 0.5 * r_plc, "PLC fades out (%.0f vs %.0f)", rms(buf, FR, 1), r_plc);

    agora_opus_decoder_destroy(d_ref);
    agora_opus_decoder_destroy(d_fec);
    agora_opus_decoder_destroy(d_plc);
    free(in);
    free(ref);
    free(fec);
    free(plc);
}

/* Decoding straight to 8/12/16/24 kHz (agora_opus_decoder_create_at): the same
 * audio as the 48 kHz decode at that rate (level and waveform), and FEC / PLC
 * work in that rate's sample counts. */
static void test_decode_rates(void)
{
    enum { LOST = 50 };
    int16_t *in = calloc((size_t)NFRAMES * FR, sizeof(int16_t));
    for (int n = 0; n < NFRAMES * FR; n++) {
        double t = (double)n / AGORA_OPUS_SAMPLE_RATE;
        double env = 0.6 + 0.4 * sin(2 * PI * 3 * t);
        double v = sin(2 * PI * 220 * t) + 0.5 * sin(2 * PI * 440 * t) + 0.25 * sin(2 * PI * 880 * t);
        in[n] = (int16_t)lrint(9000.0 * env * v);
    }
    agora_opus_encoder *enc = agora_opus_encoder_create(1, 32000, 20);
    static uint8_t pkts[NFRAMES][AGORA_OPUS_MAX_PACKET];
    int lens[NFRAMES];
    for (int f = 0; f < NFRAMES; f++)
        lens[f] = agora_opus_encode(enc, in + (size_t)f * FR, pkts[f], AGORA_OPUS_MAX_PACKET);
    agora_opus_encoder_destroy(enc);
    int16_t *full = calloc((size_t)NFRAMES * FR, sizeof(int16_t));
    agora_opus_decoder *d48 = agora_opus_decoder_create(1);
    CHECK(agora_opus_decoder_rate(d48) == 48000, "default rate");
    for (int f = 0; f < NFRAMES; f++)
        CHECK(agora_opus_decode(d48, pkts[f], lens[f], full + (size_t)f * FR, FR) == FR, "48k decode");
    agora_opus_decoder_destroy(d48);

    const int rates[] = {8000, 12000, 16000, 24000};
    for (size_t ri = 0; ri < sizeof(rates) / sizeof(rates[0]); ri++) {
        const int rate = rates[ri], fr = rate / 50, step = AGORA_OPUS_SAMPLE_RATE / rate;
        agora_opus_decoder *d = agora_opus_decoder_create_at(rate, 1);
        agora_opus_decoder *d_fec = agora_opus_decoder_create_at(rate, 1);
        CHECK(d && d_fec && agora_opus_decoder_rate(d) == rate, "create at %d", rate);
        if (!d || !d_fec)
            continue;
        int16_t *out = calloc((size_t)NFRAMES * fr, sizeof(int16_t));
        int16_t *out_fec = calloc((size_t)NFRAMES * fr, sizeof(int16_t));
        /* the 48 kHz decode taken at this rate (every step-th sample: the
         * signal is far below every Nyquist frequency here) */
        int16_t *ref = calloc((size_t)NFRAMES * fr, sizeof(int16_t));
        for (int i = 0; i < NFRAMES * fr; i++)
            ref[i] = full[(size_t)i * step];
        for (int f = 0; f < NFRAMES; f++) {
            CHECK(agora_opus_decode(d, pkts[f], lens[f], out + (size_t)f * fr, fr) == fr, "decode at %d", rate);
            int n = f == LOST ? agora_opus_decode_fec(d_fec, pkts[f + 1], lens[f + 1], out_fec + (size_t)f * fr, fr)
                              : agora_opus_decode(d_fec, pkts[f], lens[f], out_fec + (size_t)f * fr, fr);
            CHECK(n == fr, "fec path at %d: %d", rate, n);
        }
        /* level and waveform over the middle second (the decoders' delays differ by a few samples) */
        int from = 25 * fr, len = 50 * fr, lag = 0;
        double r_out = rms(out + from, len, 1), r_ref = rms(ref + from, len, 1);
        CHECK(fabs(r_out - r_ref) < 0.1 * r_ref, "level at %d: %.0f vs %.0f", rate, r_out, r_ref);
        double c = best_lag(ref, out, 1, from, len, 0, rate / 1000 * 3, &lag);
        double c2 = best_lag(out, ref, 1, from, len, 0, rate / 1000 * 3, &lag);
        CHECK((c > c2 ? c : c2) > 0.95, "waveform at %d: correlation %.3f / %.3f", rate, c, c2);
        /* the FEC frame recovers the lost 20 ms at this rate */
        const int16_t *a = out + (size_t)LOST * fr, *b = out_fec + (size_t)LOST * fr;
        double e = 0, err = 0;
        for (int i = 0; i < fr; i++) {
            e += (double)a[i] * a[i];
            err += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        }
        CHECK(10 * log10(e / (err + 1e-9)) > 8.0, "FEC at %d: SNR %.1f dB", rate, 10 * log10(e / (err + 1e-9)));
        /* PLC in this rate's sample counts; 2.5 ms steps, at most 120 ms */
        int16_t buf[AGORA_OPUS_MAX_FRAME_SAMPLES];
        CHECK(agora_opus_decode_plc(d, buf, fr) == fr, "plc 20 ms at %d", rate);
        CHECK(agora_opus_decode_plc(d, buf, rate / 400) == rate / 400, "plc 2.5 ms at %d", rate);
        CHECK(agora_opus_decode_plc(d, buf, rate / 1000 * 120) == rate / 1000 * 120, "plc 120 ms at %d", rate);
        CHECK(agora_opus_decode_plc(d, buf, rate / 400 + 1) == AGORA_ERR_INVALID_ARGUMENT, "plc odd at %d", rate);
        CHECK(agora_opus_decode_plc(d, buf, rate / 1000 * 120 + rate / 400) == AGORA_ERR_INVALID_ARGUMENT,
              "plc > 120 ms at %d", rate);
        /* a 20 ms packet does not fit 10 ms at this rate */
        CHECK(agora_opus_decode(d, pkts[0], lens[0], buf, fr / 2) == AGORA_ERR_BUFFER_TOO_SMALL, "cap at %d", rate);
        printf("decode at %d Hz: rms %.0f (48 kHz %.0f)\n", rate, r_out, r_ref);
        agora_opus_decoder_destroy(d);
        agora_opus_decoder_destroy(d_fec);
        free(out);
        free(out_fec);
        free(ref);
    }
    CHECK(agora_opus_decoder_create_at(44100, 1) == NULL, "44.1 kHz is not an Opus rate");
    CHECK(agora_opus_decoder_create_at(16000, 3) == NULL, "channels at 16 kHz");
    CHECK(agora_opus_decoder_rate_supported(32000) == 0, "32 kHz is not an Opus rate");
    CHECK(agora_opus_decoder_rate(NULL) == AGORA_ERR_INVALID_ARGUMENT, "rate of NULL");
    free(in);
    free(full);
}

static void test_errors(void)
{
    CHECK(agora_opus_encoder_create(3, 32000, 10) == NULL, "channels");
    CHECK(agora_opus_encoder_create(1, 1000, 10) == NULL, "bitrate");
    CHECK(agora_opus_encoder_create(1, 32000, 101) == NULL, "loss");
    CHECK(agora_opus_decoder_create(0) == NULL, "dec channels");
    agora_opus_encoder *enc = agora_opus_encoder_create(1, 24000, 0);
    agora_opus_decoder *dec = agora_opus_decoder_create(1);
    CHECK(agora_opus_encoder_set_bitrate(enc, 64000) == AGORA_OK, "set bitrate");
    CHECK(agora_opus_encoder_set_bitrate(enc, 5) == AGORA_ERR_INVALID_ARGUMENT, "bad bitrate");
    CHECK(agora_opus_encoder_set_packet_loss(enc, 15) == AGORA_OK, "set loss");
    CHECK(agora_opus_encoder_set_packet_loss(enc, -1) == AGORA_ERR_INVALID_ARGUMENT, "bad loss");
    int16_t pcm[FR * 2] = {0};
    uint8_t pkt[AGORA_OPUS_MAX_PACKET];
    CHECK(agora_opus_encode(enc, NULL, pkt, 100) == AGORA_ERR_INVALID_ARGUMENT, "enc null");
    CHECK(agora_opus_encode(enc, pcm, pkt, 0) == AGORA_ERR_INVALID_ARGUMENT, "enc cap 0");
    int n = agora_opus_encode(enc, pcm, pkt, sizeof(pkt));
    CHECK(n > 0, "silence encodes (%d bytes, DTX off)", n);
    CHECK(agora_opus_decode(dec, pkt, n, pcm, 480) == AGORA_ERR_BUFFER_TOO_SMALL, "small cap");
    CHECK(agora_opus_decode(dec, pkt, n, pcm, FR) == FR, "decode");
    CHECK(agora_opus_decode(dec, pkt, 0, pcm, FR) == AGORA_ERR_INVALID_ARGUMENT, "len 0");
    CHECK(agora_opus_decode_fec(dec, NULL, 3, pcm, FR) == AGORA_ERR_INVALID_ARGUMENT, "fec null");
    /* garbage packets: an error or some samples, never a crash */
    uint32_t s = 1;
    int bad = 0;
    for (int i = 0; i < 2000; i++) {
        uint8_t g[64];
        int len = 1 + (int)(s % 64);
        for (int k = 0; k < len; k++) {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            g[k] = (uint8_t)s;
        }
        int r = agora_opus_decode(dec, g, len, pcm, FR);
        bad += r < 0;
        CHECK(r <= FR && (r >= 0 || r == AGORA_ERR_INVALID_ARGUMENT ||
                          r == AGORA_ERR_BUFFER_TOO_SMALL),
              "garbage decode %d", r);
        r = agora_opus_decode_fec(dec, g, len, pcm, FR);
        CHECK(r == FR || r < 0, "garbage fec %d", r);
    }
    agora_opus_decoder_reset(dec);
    CHECK(agora_opus_decode_plc(dec, pcm, FR) == FR, "plc after reset");
    printf("garbage packets: %d/2000 rejected\n", bad);
    agora_opus_encoder_destroy(enc);
    agora_opus_decoder_destroy(dec);
    agora_opus_encoder_destroy(NULL);
    agora_opus_decoder_destroy(NULL);
    agora_opus_decoder_reset(NULL);
}

int main(void)
{
    test_tone(1, 32000);
    test_tone(2, 64000);
    test_fec_and_plc(0);
    test_fec_and_plc(1);
    test_decode_rates();
    test_errors();
    if (failures) {
        printf("test_opus_codec: %d FAILED\n", failures);
        return 1;
    }
    printf("test_opus_codec: all passed\n");
    return 0;
}
