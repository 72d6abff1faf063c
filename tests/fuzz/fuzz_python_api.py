"""atheris harness: generated garbage into every public push / send / config
entry point of agora_rtc, on a live service (a connected sender and a
listening receiver on the local network, VAD on), so the garbage that is
accepted really goes through the engine; also into an RTM client's calls and
the RTM envelope's reassembly of datagrams (what arrives through Janus).

Contract checked: bad input raises TypeError / ValueError (incl.
InvalidArgumentError) / OverflowError or an AgoraError; anything else
(SystemError, AttributeError, IndexError, ZeroDivisionError, ...) is a
finding and so is a crash of the process (the engine runs under the same
process). Run it through tests/fuzz/run.sh, or directly:

    python tests/fuzz/fuzz_python_api.py -max_total_time=60 [corpus_dir]
"""
import math
import sys
import threading

import atheris

import numpy as np

import agora_rtc as ar
from agora_rtc import rtm
from agora_rtc.agora_base import parse_transport_url
from agora_rtc.rtm import envelope as rtm_envelope

EXPECTED = (TypeError, ValueError, OverflowError, ar.AgoraError)


class _Sink(ar.IRTCConnectionObserver, ar.IRTCLocalUserObserver, ar.IAudioFrameObserver):
    def __init__(self):
        self.frames = 0
        self.connected = threading.Event()

    def on_connected(self, conn, info, reason):
        self.connected.set()

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
        self.frames += 1
        bytes(frame.buffer)


def _setup():
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="fuzz"))
    conns = []
    for uid in ("sender", "receiver"):
        c = svc.create_rtc_connection(ar.RTCConnConfig())
        sink = _Sink()
        c.register_observer(sink)
        c.register_local_user_observer(sink)
        c.register_audio_frame_observer(sink, 1, ar.AudioVadConfigV2())
        assert c.connect("", "fuzz", uid) == 0
        assert sink.connected.wait(5)
        c.publish_audio()
        conns.append(c)
    return svc, conns[0], conns[1]


SERVICE, SENDER, RECEIVER = _setup()


class _RtpConnection(ar.RTCConnection):
    """On the RTP transport (as the Janus control plane makes them): raw video
    pushed here is encoded for real (libavcodec) and sent to a UDP sink."""

    def _native_open(self, service, auto_subscribe, role, profile, rate, channels, transport=0):
        super()._native_open(service, auto_subscribe, role, profile, rate, channels, transport=1)


def _setup_encoder():
    import socket
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # never read: the kernel drops the overflow
    sink.bind(("127.0.0.1", 0))
    c = _RtpConnection(SERVICE, ar.RTCConnConfig())
    assert c._rtp_open()[0] == 0
    c._connect(b"", b"fuzz-video", b"encoder")
    assert c._rtp_set_publish_target(b"127.0.0.1", sink.getsockname()[1], 0, 1000) == 0
    assert c._rtp_set_video_publish(1010, 1, 96) == 0          # VP8
    assert c._post_event(0, None, 1) == 0                       # connected
    assert c.publish_video() == 0
    return c, sink


ENCODER, _ENCODER_SINK = _setup_encoder()
VAD = ar.AudioVadV2(ar.AudioVadConfigV2())


def garbage(fdp, depth=0):
    """Any Python value a careless caller might pass."""
    kind = fdp.ConsumeIntInRange(0, 19)
    if kind == 0:
        return None
    if kind == 1:
        return fdp.ConsumeBool()
    if kind == 2:
        return fdp.ConsumeIntInRange(-2 ** 31, 2 ** 31)
    if kind == 3:
        return fdp.ConsumeInt(fdp.ConsumeIntInRange(1, 20))          # up to 160-bit ints
    if kind == 4:
        return fdp.PickValueInList([8000, 16000, 22050, 24000, 32000, 44100, 48000, 0, 1, 2, -1])
    if kind == 5:
        return fdp.ConsumeRegularFloat()
    if kind == 6:
        return fdp.PickValueInList([math.nan, math.inf, -math.inf, -0.0, 1e308])
    if kind == 7:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 2000))
    if kind == 8:
        return fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 100))     # may hold lone surrogates
    if kind == 9:
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 5000))
    if kind == 10:
        return bytearray(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 5000)))
    if kind == 11:
        raw = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4000))
        mv = memoryview(raw)
        fmt = fdp.PickValueInList(["B", "b", "h", "H", "i", "f"])
        size = {"B": 1, "b": 1, "h": 2, "H": 2, "i": 4, "f": 4}[fmt]
        return mv[:len(raw) // size * size].cast(fmt)
    if kind == 12:
        dtype = fdp.PickValueInList([np.int16, np.int16, np.uint16, np.int32, np.float32,
                                     np.float64, np.int8, np.complex64, np.bool_, ">i2"])
        n = fdp.ConsumeIntInRange(0, 4000)
        arr = np.frombuffer(fdp.ConsumeBytes(n * np.dtype(dtype).itemsize).ljust(
            n * np.dtype(dtype).itemsize, b"\0"), dtype=dtype)
        shape_kind = fdp.ConsumeIntInRange(0, 3)
        if shape_kind == 1 and n >= 2:
            arr = arr[: n // 2 * 2].reshape(-1, 2)
        elif shape_kind == 2 and n >= 2:
            arr = arr[::2]                                   # non-contiguous
        elif shape_kind == 3 and n >= 4:
            arr = arr[: n // 2 * 2].reshape(-1, 2).T          # Fortran order
        return arr
    if kind == 13:
        return np.int16(fdp.ConsumeIntInRange(-40000, 40000) % 32768)
    if kind == 14 and depth < 2:
        return [garbage(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    if kind == 15 and depth < 2:
        return {garbage_key(fdp): garbage(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 3))}
    if kind == 16:
        return object()
    if kind == 17:
        return ar.AudioVadConfigV2
    if kind == 18:
        return np.zeros(fdp.ConsumeIntInRange(0, 3200), np.int16)   # valid PCM, odd sizes
    return fdp.ConsumeIntInRange(0, 3)


def garbage_key(fdp):
    return fdp.ConsumeUnicodeNoSurrogates(8)


def call(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except EXPECTED:
        pass


# ---- entry points ----

def push(fdp):
    call(SENDER.push_audio_pcm_data, garbage(fdp), garbage(fdp), garbage(fdp), garbage(fdp))
    if fdp.ConsumeIntInRange(0, 7) == 0:
        SENDER.interrupt_audio()           # keep the queue bounded


def push_valid_shape(fdp):
    data = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 9600))
    rate = fdp.PickValueInList([8000, 16000, 22050, 24000, 32000, 44100, 48000])
    call(SENDER.push_audio_pcm_data, data, rate, fdp.PickValueInList([1, 2]),
         fdp.ConsumeIntInRange(-2 ** 62, 2 ** 62))
    if fdp.ConsumeBool():
        SENDER.interrupt_audio()


def push_encoded(fdp):
    """Garbage packets for every codec (Opus, G.711, and through libavcodec G.722, AAC-LC,
    HE-AAC v1 / v2) and garbage infos."""
    data = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4100))
    if fdp.ConsumeBool():
        info = ar.EncodedAudioFrameInfo(codec=fdp.PickValueInList([1, 3, 4, 5, 8, 9, 11, 10, 0, -1]),
                                        sample_rate=fdp.PickValueInList([8000, 16000, 32000, 44100, 48000, 96000, 7, 0]),
                                        number_of_channels=fdp.ConsumeIntInRange(0, 3))
    else:
        info = garbage(fdp)
    call(SENDER.push_audio_encoded_data, data, info)
    if fdp.ConsumeIntInRange(0, 7) == 0:
        SENDER.interrupt_audio()


def stream_message(fdp):
    call(SENDER.send_stream_message, garbage(fdp))


def metadata(fdp):
    call(SENDER.send_audio_meta_data, garbage(fdp))


_VAD_FIELDS = ["preStartRecognizeCount", "startRecognizeCount", "stopRecognizeCount",
               "activePercent", "inactivePercent", "start_voiceprob", "stop_voiceprob",
               "start_rms", "stop_rms", "rmsThreshold", "enableAdaptiveRmsThreshold",
               "adaptiveRmsThresholdFactor", "startRunCount"]


def vad_config(fdp):
    kwargs = {fdp.PickValueInList(_VAD_FIELDS): garbage(fdp) for _ in range(fdp.ConsumeIntInRange(0, 4))}
    try:
        cfg = ar.AudioVadConfigV2(**kwargs)
    except EXPECTED:
        return
    call(RECEIVER.register_audio_frame_observer, _Sink(), 1, cfg)
    try:
        vad = ar.AudioVadV2(cfg)
    except EXPECTED:
        return
    for _ in range(fdp.ConsumeIntInRange(1, 4)):
        call(vad.process, garbage(fdp), garbage(fdp) if fdp.ConsumeBool() else None,
             garbage(fdp) if fdp.ConsumeBool() else None)


def vad_process(fdp):
    call(VAD.process, garbage(fdp))
    rate = fdp.PickValueInList([8000, 16000, 24000, 32000, 44100, 48000])
    ch = fdp.PickValueInList([1, 2])
    call(VAD.process, fdp.ConsumeBytes(rate // 100 * ch * 2), rate, ch)
    if fdp.ConsumeIntInRange(0, 15) == 0:
        VAD.reset()


def audio_frame(fdp):
    try:
        f = ar.AudioFrame.from_pcm(garbage(fdp), garbage(fdp), garbage(fdp))
    except EXPECTED:
        try:
            f = ar.AudioFrame.from_pcm(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 1920)) + b"\0\0",
                                       16000, 1)
        except EXPECTED:
            return
    for _ in range(fdp.ConsumeIntInRange(0, 4)):       # users may overwrite the public fields
        name = fdp.PickValueInList(["samples_per_channel", "channels", "samples_per_sec",
                                    "bytes_per_sample", "rms", "render_time_ms", "rtp_timestamp",
                                    "dbfs", "type"])
        call(setattr, f, name, garbage(fdp))
    bytes(f.buffer)
    len(f)
    repr(f)
    call(lambda: f.data.sum())
    call(VAD.process, f)
    call(ar.AudioVadV2(ar.AudioVadConfigV2()).process, f)
    call(SENDER.push_audio_pcm_data, f, f.samples_per_sec, f.channels)


def push_video_raw(fdp):
    """Raw frames of garbage pixels and sizes into the VP8 encoder, between garbage
    encoder configurations (a valid one now and then, so frames get scaled)."""
    if fdp.ConsumeIntInRange(0, 3) == 0:
        if fdp.ConsumeBool():
            cfg = ar.VideoEncoderConfiguration(
                dimensions=ar.VideoDimensions(fdp.ConsumeIntInRange(0, 64) * 2, fdp.ConsumeIntInRange(0, 64) * 2),
                frame_rate=fdp.ConsumeIntInRange(0, 121), bitrate=fdp.ConsumeIntInRange(-2, 5000),
                orientation_mode=fdp.ConsumeIntInRange(0, 3))
        else:
            cfg = garbage(fdp)
        call(ENCODER.set_video_encoder_configuration, cfg)
    fmt = fdp.PickValueInList([1, 2, 3, 4, 8, 0, 99])
    stride, height = fdp.ConsumeIntInRange(0, 66), fdp.ConsumeIntInRange(0, 66)
    size = stride * height * 4 if fmt in (2, 4) else stride * height * 3 // 2
    if fdp.ConsumeIntInRange(0, 7) == 0:
        size += fdp.ConsumeIntInRange(-3, 3)
    pixels = fdp.ConsumeBytes(max(size, 0))
    frame = ar.ExternalVideoFrame(type=1, format=fmt, buffer=pixels + bytes(max(size - len(pixels), 0)),
                                  stride=stride, height=height, timestamp=fdp.ConsumeIntInRange(-5, 2 ** 40))
    call(ENCODER.push_video_frame, frame)
    if fdp.ConsumeIntInRange(0, 15) == 0:
        call(ENCODER.set_simulcast_stream, garbage(fdp), garbage(fdp))


_CONFIGS = [ar.AgoraServiceConfig, ar.RTCConnConfig, ar.RtcConnectionPublishConfig,
            ar.AudioSubscriptionOptions]


def config(fdp):
    cls = fdp.PickValueInList(_CONFIGS)
    fields = list(getattr(cls, "__dataclass_fields__", {}))
    kwargs = {}
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        if fields and fdp.ConsumeIntInRange(0, 9):
            kwargs[fdp.PickValueInList(fields)] = garbage(fdp)
        else:
            kwargs[garbage_key(fdp)] = garbage(fdp)
    try:
        cfg = cls(**kwargs)
    except EXPECTED:
        return
    try:
        cfg._validated()
    except EXPECTED:
        return
    if cls is ar.RTCConnConfig:
        try:
            c = SERVICE.create_rtc_connection(cfg)
        except EXPECTED:
            return
        c.release()


def transport_url(fdp):
    url = garbage(fdp) if fdp.ConsumeIntInRange(0, 3) == 0 else fdp.PickValueInList(
        ["janus://", "local://", "janus+ws://", "http://", ""]) + fdp.ConsumeUnicodeNoSurrogates(60)
    call(parse_transport_url, url)


def local_user(fdp):
    lu = RECEIVER.get_local_user()
    op = fdp.ConsumeIntInRange(0, 4)
    if op == 0:
        call(lu.set_playback_audio_frame_before_mixing_parameters, garbage(fdp), garbage(fdp))
        lu.set_playback_audio_frame_before_mixing_parameters(1, 16000)
    elif op == 1:
        call(lu.subscribe_audio, garbage(fdp))
    elif op == 2:
        call(lu.unsubscribe_audio, garbage(fdp))
        lu.subscribe_all_audio()
    elif op == 3:
        call(lu.set_user_role, garbage(fdp))
    else:
        call(RECEIVER.register_audio_frame_observer, _Sink(), garbage(fdp), None,
             dispatch=fdp.PickValueInList(["direct", "queued", "x", None]),
             max_queued_frames=garbage(fdp))
        RECEIVER.register_audio_frame_observer(_Sink(), 1, ar.AudioVadConfigV2())


def connect(fdp):
    c = SERVICE.create_rtc_connection(ar.RTCConnConfig())
    try:
        call(c.connect, garbage(fdp), garbage(fdp), garbage(fdp))
        call(c.renew_token, garbage(fdp))
    finally:
        c.release()


def _rtm_delivered(sender, message):
    kind, message_type, to, custom, payload = message
    if not (isinstance(to, str) and isinstance(custom, str) and isinstance(payload, bytes)):
        raise AssertionError(f"a message put together wrong: {message!r}")


RTM_DATAGRAMS = rtm_envelope.Reassembler(_rtm_delivered)


def rtm_datagrams(fdp):
    """Datagrams as a data socket of an RTM room receives them through Janus (garbage, or
    the envelope's header then garbage) from a few senders: never an exception, and what is
    held while putting messages together stays bounded."""
    for _ in range(fdp.ConsumeIntInRange(1, 40)):
        sender = f"u{fdp.ConsumeIntInRange(0, 80)}"
        if fdp.ConsumeBool():
            head = bytes([rtm_envelope.VERSION]) + fdp.ConsumeBytes(6)
        else:
            head = b""
        RTM_DATAGRAMS.push(sender, head + fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 1100)))
        if fdp.ConsumeIntInRange(0, 15) == 0:
            RTM_DATAGRAMS.forget(sender)
    partial = RTM_DATAGRAMS._partial
    if len(partial) > rtm_envelope.MAX_SENDERS or any(
            len(p.parts) >= p.count or p.count > rtm_envelope.MAX_FRAGMENTS for p in partial.values()):
        raise AssertionError("the RTM reassembly holds more than its bounds")


RTM_CLIENT = rtm.create_rtm_client(rtm.RtmConfig(app_id="fuzz", user_id="fuzzer"))
RTM_CLIENT.login("")


def rtm_calls(fdp):
    op = fdp.ConsumeIntInRange(0, 3)
    if op == 0:
        options = rtm.PublishOptions(channel_type=garbage(fdp), message_type=garbage(fdp),
                                     custom_type=garbage(fdp)) if fdp.ConsumeBool() else garbage(fdp)
        call(RTM_CLIENT.publish, garbage(fdp), garbage(fdp), options)
    elif op == 1:
        call(RTM_CLIENT.subscribe, garbage(fdp), garbage(fdp))
    elif op == 2:
        call(RTM_CLIENT.unsubscribe, garbage(fdp))
    else:
        call(RTM_CLIENT.send_user_message, garbage(fdp), garbage(fdp))


ENTRY_POINTS = [push, push_valid_shape, stream_message, metadata, vad_config, vad_process,
                audio_frame, config, transport_url, local_user, connect, push_encoded, push_video_raw,
                rtm_datagrams, rtm_calls]


def TestOneInput(data):
    fdp = atheris.FuzzedDataProvider(data)
    fdp.PickValueInList(ENTRY_POINTS)(fdp)


def main():
    # coverage of the Python layer (the editable install's import hook defeats
    # instrument_imports; the compiled engine is covered by the libFuzzer harnesses)
    atheris.instrument_all()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
