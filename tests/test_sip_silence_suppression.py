"""Pauses of a phone that sends no keepalive: silence suppression (RFC 3551 4.1). A
phone or trunk with a VAD stops sending when its caller is silent, and starts the
next talk spurt with the marker bit set and a timestamp jump while the sequence
number goes on by one (nothing was lost); some send comfort noise (RFC 3389,
payload type 13) first. SIPp (Debian ``sip-tester``) calls the agent and replays
such a stream, written here from the A-law recording SIPp ships (g711a.pcap, 30 ms
packets): the packets its level says are silence, after a 90 ms hangover, are not
sent, and each pause is stretched to 0.6 s (the timestamps and the send times jump
together, as a sender's clock goes on through its pause). The agent must take the
pauses for pauses: nothing lost, nothing concealed, every spurt heard, its VAD
stopping and starting; a packet really lost in the same stream (a sequence number
skipped) is still counted lost and concealed."""
import os
import shutil
import struct
import sys
import threading

import numpy as np
import pytest

import agora_rtc as ar
from conftest import join
from test_sip_hostile import sipp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks"))
from _sipp import call_scenario, free_udp_port  # noqa: E402  (the benchmarks' SIPp call)

SIPP_PCAP = "/usr/share/sip-tester/g711a.pcap"
pytestmark = pytest.mark.skipif(shutil.which("sipp") is None or not os.path.exists(SIPP_PCAP),
                                reason="SIPp (Debian sip-tester, with its g711a.pcap) is not installed")

HEADERS = 14 + 20 + 8            # the recording's records: Ethernet, IPv4, UDP, then RTP
SPEECH_RMS = 500                 # the sender's VAD: a packet this loud is speech ...
HANGOVER = 3                     # ... and it sends this many packets after the last one
PAUSE_S = 0.6                    # each pause lasts this long
PT_CN = 13


def alaw_rms(payload: bytes) -> float:
    """RMS of an A-law payload (G.711: sign, 3-bit exponent, 4-bit mantissa, even bits
    inverted)."""
    a = (np.frombuffer(payload, np.uint8) ^ 0x55).astype(np.int32)
    exp, man = (a >> 4) & 7, a & 0xF
    mag = np.where(exp == 0, (man << 4) + 8, ((man << 4) + 0x108) << np.maximum(exp - 1, 0))
    return float(np.sqrt(np.mean(mag.astype(np.float64) ** 2)))


def read_pcap(path):
    """[(capture time s, record bytes)] of a classic little-endian pcap."""
    data = open(path, "rb").read()
    off, out = 24, []
    while off + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack_from("<IIII", data, off)
        out.append((sec + usec / 1e6, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return data[:24], out


def with_rtp(record: bytes, seq: int, ts: int, marker: bool, pt: int, payload: bytes) -> bytes:
    """The record with a new RTP header and payload (IPv4 and UDP lengths to match; the
    UDP checksum 0: none, as IPv4 allows)."""
    head = bytearray(record[:HEADERS])
    struct.pack_into("!H", head, 14 + 2, 20 + 8 + 12 + len(payload))   # IPv4 total length
    struct.pack_into("!H", head, 14 + 10, 0)                            # IPv4 checksum ...
    ihl = head[14:34]
    s = sum(struct.unpack("!10H", bytes(ihl)))
    s = (s & 0xFFFF) + (s >> 16)
    struct.pack_into("!H", head, 14 + 10, ~((s & 0xFFFF) + (s >> 16)) & 0xFFFF)  # ... recomputed
    struct.pack_into("!HH", head, 34 + 4, 8 + 12 + len(payload), 0)   # UDP length, checksum
    rtp = bytearray(record[HEADERS:HEADERS + 12])
    rtp[1] = (0x80 if marker else 0) | pt
    struct.pack_into("!HI", rtp, 2, seq & 0xFFFF, ts & 0xFFFFFFFF)
    return bytes(head) + bytes(rtp) + payload


def silence_suppressed(src: str, dst: str, *, comfort_noise: bool, lose_one: bool) -> dict:
    """Write dst: src's speech with its silence not sent (see the module's docstring).
    ``comfort_noise``: a CN packet (RFC 3389, one byte: the noise level) right after each
    spurt's last packet; ``lose_one``: one packet in the middle of the second spurt is not
    sent while its sequence number is skipped (real loss). Returns what was written."""
    header, records = read_pcap(src)
    loud = [alaw_rms(rec[HEADERS + 12:]) >= SPEECH_RMS for _, rec in records]
    send = [any(loud[max(0, i - HANGOVER):i + 1]) for i in range(len(records))]
    # the call ends in a pause too: after the last spurt that ends in its hangover (the
    # recording stops mid-word, which a receiver cannot tell from a delay)
    end = max(i for i in range(len(records) - 1) if send[i] and not send[i + 1])
    records = records[:end + 1]
    out, seq, shift_s, spurts, pauses, lost_at = [], 20000, 0.0, 0, 0, None
    last_t = last_ts = None
    spurt_len = 0
    for i, (t, rec) in enumerate(records):
        if not send[i]:
            continue
        ts = struct.unpack_from("!I", rec, HEADERS + 4)[0]
        gap = i > 0 and not send[i - 1]
        if gap and spurts:
            # stretch the pause to PAUSE_S: send time and timestamp jump together
            natural = t + shift_s - (last_t + 0.03)
            shift_s += max(0.0, PAUSE_S - natural)
            pauses += 1
        first = gap or not spurts
        if first:
            spurts += 1
            spurt_len = 0
        spurt_len += 1
        ts_out = (ts + int(round(shift_s * 8000))) & 0xFFFFFFFF
        t_out = t + shift_s
        if lose_one and spurts == 2 and spurt_len == 6 and lost_at is None:
            lost_at = seq
            seq += 1          # the number is skipped: a packet the network lost
            last_t, last_ts = t_out, ts_out
            continue
        out.append((t_out, with_rtp(rec, seq, ts_out, first, 8, rec[HEADERS + 12:])))
        seq += 1
        last_t, last_ts = t_out, ts_out
        if comfort_noise and (i + 1 == len(records) or not send[i + 1]):
            # the spurt's end: comfort noise (its noise level, -40 dBov) right after it
            out.append((t_out + 0.03, with_rtp(rec, seq, ts_out + 240, False, PT_CN, bytes([40]))))
            seq += 1
    with open(dst, "wb") as f:
        f.write(header)
        for t, rec in out:
            f.write(struct.pack("<IIII", int(t), int(round((t % 1) * 1e6)) % 1000000, len(rec), len(rec)))
            f.write(rec)
    return {"spurts": spurts, "pauses": pauses, "packets": len(out), "seconds": out[-1][0] - out[0][0],
            "lost_seq": lost_at}


@pytest.mark.parametrize("comfort_noise,lose_one", [(False, False), (True, False), (False, True)],
                         ids=["no-keepalive", "comfort-noise", "no-keepalive-one-lost"])
def test_silence_suppressed_call_pauses_are_not_loss(tmp_path, comfort_noise, lose_one):
    pcap = str(tmp_path / "suppressed.pcap")
    made = silence_suppressed(SIPP_PCAP, pcap, comfort_noise=comfort_noise, lose_one=lose_one)
    assert made["pauses"] >= 3, made                 # the recording has pauses to suppress
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="sip-dtx", transport_url="sip://127.0.0.1:0"))
    conn, rec = join(svc, "agent", "bot", vad=ar.AudioVadConfigV2())
    scenario = tmp_path / "suppressed.xml"
    scenario.write_text(call_scenario("silence-suppression", payload_type=8, encoding="PCMA/8000",
                                      play_pcap=pcap, pause_ms=int(made["seconds"] * 1000) + 2000,
                                      caller="sipp"))
    result = []
    runner = threading.Thread(target=lambda: result.append(sipp(
        svc, str(scenario), tmp_path, timeout=40,
        extra=("-mi", "127.0.0.1", "-mp", str(free_udp_port())))), daemon=True)
    runner.start()
    try:
        rec.wait_event("joined", "sipp", timeout=20)
        assert conn.phone.call.codec == "PCMA"
        rec.wait_event("left", "sipp", timeout=40)
        runner.join(timeout=40)
        assert result == [0]
        st = conn._rtp_stats()
    finally:
        runner.join(timeout=60)
        conn.release()
        svc.release()
    with rec.cond:
        states = [s for s, _ in rec.vad.get("sipp", [])]
    starts, stops = states.count(1), states.count(3)
    print(f"\n{made}: lost {st['lost']}, late {st['late']}, plc {st['plc_frames']}, "
          f"played {st['packets_played']}, other payload {st['other_payload']}, "
          f"VAD starts {starts} stops {stops}")
    assert st["decode_errors"] == 0 and st["late"] == 0, st
    # every packet sent was heard (20 ms pieces of 30 ms packets: 1.5 a packet)
    sent = made["packets"] - (made["spurts"] if comfort_noise else 0)
    assert st["packets_played"] >= 1.5 * sent - 2 * made["spurts"], (st, made)
    if comfort_noise:
        assert st["other_payload"] == made["spurts"], st
    if not lose_one:
        # the pauses (and the call's end, a pause too): nothing lost, nothing concealed
        assert st["lost"] == 0 and st["plc_frames"] == 0, st
    else:
        # the packet lost: its whole piece is lost, and concealed (silence: G.711 has no
        # concealment of its own), as without pauses; the piece it shares with the packet
        # before comes only with the packet after it (30 ms later): an underrun frame
        # or two first
        assert 1 <= st["lost"] <= 2 and st["lost"] <= st["plc_frames"] <= st["lost"] + 2, st
    # the VAD heard the spurts start and stop (the pauses are 0.6 s of silence frames)
    assert starts >= 2 and stops >= 2, states[:50]
