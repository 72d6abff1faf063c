"""push_audio_encoded_data beyond Opus: G.711 mu-law / A-law (decoded in the engine, checked
against CPython's audioop, an implementation we did not write) and AAC-LC (encoded here by the
ffmpeg command line, decoded in the engine by the libavcodec it loads at run time), both with
ADTS headers and raw. Receivers hear the decoded audio, paced like PCM; encoded-frame observers
get the packets unchanged with their codec; over RTP the audio is re-encoded to Opus."""
import subprocess
import warnings

with warnings.catch_warnings():          # deprecated since 3.11; still the reference G.711 here
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc._core import _engine
from conftest import join, wait_until
from test_encoded_audio import EncodedRecorder, speech
from test_rtp_transport import Pair, aligned_ncc, tracked_ncc

PCMU, PCMA, AACLC = (ar.AudioCodecType.AUDIO_CODEC_PCMU, ar.AudioCodecType.AUDIO_CODEC_PCMA,
                     ar.AudioCodecType.AUDIO_CODEC_AACLC)


def g711_info(codec, channels=1):
    return ar.EncodedAudioFrameInfo(codec=codec, sample_rate=8000, number_of_channels=channels)


def pair_at(service, channel, rate, channels=1):
    """A sender and a receiver whose observer hears `rate` / `channels` (no resampling when it
    is the pushed format), with an encoded-frame observer."""
    rec = EncodedRecorder()
    rx, _ = join(service, channel, "agent", publish=False, recorder=rec, rate=rate, channels=channels)
    assert rx.register_audio_encoded_frame_observer(rec) == 0
    tx, _ = join(service, channel, "caller", record=False)
    return tx, rx, rec


def heard(rec, uid="caller"):
    return np.frombuffer(rec.pcm(uid), dtype=np.int16)


@pytest.mark.parametrize("codec, reference", [(PCMU, audioop.ulaw2lin), (PCMA, audioop.alaw2lin)])
def test_g711_decodes_every_code_as_audioop_does(service, codec, reference):
    codes = bytes(range(256)) * 5 + bytes(range(160))        # 1440 samples: 18 frames of 10 ms
    tx, rx, rec = pair_at(service, f"g711-{int(codec)}", 8000)
    for i in range(0, len(codes), 480):                      # 60 ms packets
        assert tx.push_audio_encoded_data(codes[i:i + 480], g711_info(codec)) == 0
    assert tx.wait_push_completed(10)
    rec.wait_samples("caller", 2 * len(codes))
    expected = np.frombuffer(reference(codes, 2), dtype=np.int16)
    assert np.array_equal(heard(rec)[:len(codes)], expected)
    rec.wait_for(lambda: len(rec.of("caller")) == 3)
    packets = rec.of("caller")
    assert [bytes(p[1]) for p in packets] == [codes[i:i + 480] for i in range(0, len(codes), 480)]
    assert all(p[3].codec == codec and p[3].sample_rate == 8000 and p[3].samples_per_channel == 480
               for p in packets)


def test_g711_stereo_is_interleaved(service):
    left = bytes(range(0, 160)) * 2
    right = bytes(range(96, 256)) * 2
    codes = bytes(b for pair in zip(left, right) for b in pair)
    tx, rx, rec = pair_at(service, "g711-st", 8000, channels=2)
    assert tx.push_audio_encoded_data(codes, g711_info(PCMU, 2)) == 0
    rec.wait_samples("caller", 2 * len(codes))
    got = heard(rec)[:len(codes)].reshape(-1, 2)
    assert np.array_equal(got[:, 0], np.frombuffer(audioop.ulaw2lin(left, 2), np.int16))
    assert np.array_equal(got[:, 1], np.frombuffer(audioop.ulaw2lin(right, 2), np.int16))


def aac_adts(pcm, rate, channels=1, bitrate="64k"):
    """AAC-LC access units with their ADTS headers, made by the ffmpeg command line."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-f", "s16le", "-ar", str(rate), "-ac", str(channels),
                          "-i", "-", "-c:a", "aac", "-b:a", bitrate, "-f", "adts", "-"],
                         input=pcm.tobytes(), capture_output=True, check=True).stdout
    units, i = [], 0
    while i + 7 <= len(out):
        assert out[i] == 0xFF and out[i + 1] & 0xF6 == 0xF0, "ADTS sync"
        length = ((out[i + 3] & 3) << 11) | (out[i + 4] << 3) | (out[i + 5] >> 5)
        units.append(out[i:i + length])
        i += length
    assert i == len(out)
    return units


def raw_unit(adts):
    header = 7 if adts[1] & 1 else 9                         # protection_absent: no CRC
    return adts[header:]


def aac_info(rate=16000, channels=1):
    return ar.EncodedAudioFrameInfo(codec=AACLC, sample_rate=rate, number_of_channels=channels)


@pytest.mark.parametrize("framing", ["adts", "raw"])
def test_aac_is_decoded_and_heard(service, framing):
    pcm = speech()[:16000 * 3]
    units = aac_adts(pcm, 16000)
    tx, rx, rec = pair_at(service, f"aac-{framing}", 16000)
    for u in units:
        data = u if framing == "adts" else raw_unit(u)
        assert tx.push_audio_encoded_data(data, aac_info()) == 0
    assert tx.wait_push_completed(15)
    rec.wait_samples("caller", 2 * 1024 * len(units))
    got = heard(rec)
    assert len(got) >= 1024 * len(units)                    # 1024 samples per access unit
    ncc, lag = aligned_ncc(got, pcm)
    assert ncc > 0.9, ncc                                    # the same speech, through a lossy codec
    rec.wait_for(lambda: len(rec.of("caller")) == len(units))
    packets = rec.of("caller")
    assert bytes(packets[5][1]) == (units[5] if framing == "adts" else raw_unit(units[5]))
    assert all(p[3].codec == AACLC and p[3].sample_rate == 16000 and p[3].samples_per_channel == 1024
               for p in packets)


def test_aac_stereo_44100(service):
    t = np.arange(44100) / 44100
    left, right = (8000 * np.sin(2 * np.pi * 440 * t)), (8000 * np.sin(2 * np.pi * 660 * t))
    pcm = np.stack([left, right], axis=1).astype(np.int16).reshape(-1)
    units = aac_adts(pcm, 44100, channels=2, bitrate="128k")
    tx, rx, rec = pair_at(service, "aac-st", 44100, channels=2)
    for u in units:
        assert tx.push_audio_encoded_data(u, aac_info(44100, 2)) == 0
    rec.wait_samples("caller", 2 * 2 * 1024 * (len(units) - 2))
    got = heard(rec).reshape(-1, 2).astype(float)
    mid = got[len(got) // 4: 3 * len(got) // 4]
    for ch, f in ((0, 440), (1, 660)):                       # each channel keeps its own tone
        spectrum = np.abs(np.fft.rfft(mid[:, ch]))
        assert abs(np.argmax(spectrum) * 44100 / len(mid) - f) < 5


def test_aac_bad_input_is_refused_and_nothing_is_queued(service):
    tx, rx, rec = pair_at(service, "aac-bad", 16000)
    with pytest.raises(ar.InvalidArgumentError, match="AAC-LC access unit"):
        tx.push_audio_encoded_data(b"\xff\xf1" + bytes(range(40)), aac_info())   # ADTS sync, garbage after
    with pytest.raises(ar.InvalidArgumentError, match="AAC-LC access unit"):
        tx.push_audio_encoded_data(bytes(300), aac_info(rate=11111))             # not an AAC rate
    assert tx.get_send_stats()["pushed_samples"] == 0
    units = aac_adts(speech()[:16000], 16000)
    with pytest.raises(ar.NotSupportedError, match="sample rate"):              # 96 kHz: not sent
        tx.push_audio_encoded_data(aac_adts(np.zeros(96000, np.int16), 96000)[3], aac_info(96000))
    assert tx.push_audio_encoded_data(units[0], aac_info()) == 0                 # still usable


def test_aac_codec_is_reported_available():
    available, library = _engine.audio_codec_supported(int(AACLC))
    assert available and library.startswith("libavcodec.so.")
    assert _engine.audio_codec_supported(int(PCMU)) == (True, "")
    for codec in (5, 9, 11):                                   # G.722, HE-AAC, HE-AAC v2: libavcodec too
        assert _engine.audio_codec_supported(codec) == (True, library)
    assert _engine.audio_codec_supported(10)[0] is False       # JC1: Agora's own


def test_aac_over_rtp_is_reencoded_to_opus(service):
    pcm = speech()[:16000 * 2]
    units = aac_adts(pcm, 16000)
    p = Pair(service)
    try:
        for u in units:
            assert p.a.push_audio_encoded_data(u, aac_info()) == 0
        p.rb.wait_samples("alice", 2 * 16000, timeout=15)
        ncc, _ = tracked_ncc(np.frombuffer(p.rb.pcm("alice"), np.int16), pcm[:16000])
        assert ncc > 0.8, ncc                                # AAC then Opus: still the same speech
        assert p.a._rtp_stats()["encode_errors"] == 0
    finally:
        p.release()


# ---------------------------------------------------------------- G.722, HE-AAC

G722, HEAAC, HEAAC2 = (ar.AudioCodecType.AUDIO_CODEC_G722, ar.AudioCodecType.AUDIO_CODEC_HEAAC,
                       ar.AudioCodecType.AUDIO_CODEC_HEAAC2)


def ffmpeg_pipe(args, data):
    return subprocess.run(["ffmpeg", "-v", "error", *args], input=data, capture_output=True, check=True).stdout


def test_g722_is_decoded_as_ffmpeg_decodes_it(service):
    """Speech encoded by the ffmpeg command line into G.722 (64 kbit/s), pushed in
    20 ms packets: the receiver hears, sample for sample, what ffmpeg decodes of
    the same bitstream, and that is the speech."""
    pcm = speech()[:16000 * 2]
    bitstream = ffmpeg_pipe(["-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "-", "-c:a", "g722",
                             "-f", "g722", "-"], pcm.tobytes())
    reference = np.frombuffer(ffmpeg_pipe(["-f", "g722", "-i", "-", "-f", "s16le", "-"], bitstream), np.int16)
    assert len(bitstream) == len(pcm) // 2                   # two samples per byte
    tx, rx, rec = pair_at(service, "g722", 16000)
    packets = [bitstream[i:i + 160] for i in range(0, len(bitstream), 160)]
    for i, p in enumerate(packets):
        rate = 16000 if i % 2 else 8000                      # RTP's name for G.722's clock is taken too
        assert tx.push_audio_encoded_data(p, ar.EncodedAudioFrameInfo(codec=G722, sample_rate=rate,
                                                                      number_of_channels=1)) == 0
    assert tx.wait_push_completed(15)
    rec.wait_samples("caller", 2 * len(reference))
    got = heard(rec)[:len(reference)]
    assert np.array_equal(got, reference)
    ncc, _ = aligned_ncc(got, pcm)
    assert ncc > 0.9, ncc
    rec.wait_for(lambda: len(rec.of("caller")) == len(packets))
    assert all(p[3].codec == G722 and p[3].sample_rate == 16000 and p[3].samples_per_channel == 320
               for p in rec.of("caller"))


def test_g722_bad_input(service):
    tx, rx, rec = pair_at(service, "g722-bad", 16000)
    with pytest.raises(ValueError, match="G.722 is 16000 Hz mono"):
        tx.push_audio_encoded_data(bytes(160), ar.EncodedAudioFrameInfo(codec=G722, sample_rate=48000,
                                                                        number_of_channels=1))
    with pytest.raises(ValueError, match="G.722 is 16000 Hz mono"):
        tx.push_audio_encoded_data(bytes(160), ar.EncodedAudioFrameInfo(codec=G722, sample_rate=16000,
                                                                        number_of_channels=2))
    assert tx.get_send_stats()["pushed_samples"] == 0


@pytest.mark.parametrize("codec, channels", [(HEAAC, 1), (HEAAC2, 2)])
def test_raw_he_aac_is_signalled_at_twice_the_core_rate(service, codec, channels):
    """Debian's ffmpeg has no HE-AAC encoder (its aac encoder makes LC only;
    libfdk_aac is not in Debian), so this pushes AAC-LC access units of a
    16 kHz core as raw HE-AAC (v2) at 32 kHz: an HE-AAC stream whose SBR (and
    PS) extension payloads are absent. libavcodec decodes it as HE-AAC from the
    AudioSpecificConfig the engine writes: 2048 samples per access unit at
    32 kHz (v2: a mono core made stereo), and the speech is there."""
    pcm = speech()[:16000 * 2]
    units = [raw_unit(u) for u in aac_adts(pcm, 16000)]
    tx, rx, rec = pair_at(service, f"heaac-{int(codec)}", 32000, channels=channels)
    info = ar.EncodedAudioFrameInfo(codec=codec, sample_rate=32000, number_of_channels=channels)
    for u in units:
        assert tx.push_audio_encoded_data(u, info) == 0
    assert tx.wait_push_completed(15)
    rec.wait_samples("caller", 2 * channels * 2048 * len(units))
    got = heard(rec).reshape(-1, channels)
    assert len(got) >= 2048 * len(units)
    reference = np.frombuffer(ffmpeg_pipe(["-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "-", "-ar", "32000",
                                           "-f", "s16le", "-"], pcm.tobytes()), np.int16)
    for ch in range(channels):
        ncc, _ = aligned_ncc(got[:, ch].copy(), reference)
        assert ncc > 0.85, (ch, ncc)
    rec.wait_for(lambda: len(rec.of("caller")) == len(units))
    assert all(p[3].codec == codec and p[3].sample_rate == 32000 and p[3].samples_per_channel == 2048
               for p in rec.of("caller"))


def test_he_aac_bad_configurations_are_refused(service):
    tx, rx, rec = pair_at(service, "heaac-bad", 32000)
    unit = raw_unit(aac_adts(speech()[:4000], 16000)[3])
    with pytest.raises(ar.InvalidArgumentError, match="HE-AAC v2"):                # v2 is stereo
        tx.push_audio_encoded_data(unit, ar.EncodedAudioFrameInfo(codec=HEAAC2, sample_rate=32000,
                                                                  number_of_channels=1))
    with pytest.raises(ar.InvalidArgumentError, match="HE-AAC access unit"):       # no core rate of half 7350
        tx.push_audio_encoded_data(unit, ar.EncodedAudioFrameInfo(codec=HEAAC, sample_rate=7350,
                                                                  number_of_channels=1))
    assert tx.get_send_stats()["pushed_samples"] == 0
