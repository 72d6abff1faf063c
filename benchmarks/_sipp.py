"""SIPp (Debian ``sip-tester``) as the caller of the SIP benchmarks (and of
tests/test_sip_packet_length.py): the scenario of one call (INVITE with a one-codec offer,
200, ACK, what the call does, BYE) and a run that returns each call's set-up time (INVITE
sent -> 200 OK received, SIPp's rtd "setup" trace)."""
from __future__ import annotations

import csv
import glob
import os
import socket
import subprocess

SCENARIO = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="{name}">
  <send retrans="500" start_rtd="setup">
    <![CDATA[
      INVITE sip:{callee}@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      To: <sip:{callee}@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

v=0
o=- 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio {media_port} RTP/AVP {payload_type}
a=rtpmap:{payload_type} {encoding}
{sdp_extra}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true" rtd="setup"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      [routes]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
{during}  <pause milliseconds="{pause_ms}"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      [routes]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
{after}</scenario>
"""


def call_scenario(name: str, *, callee: str = "[service]", payload_type: int = 0,
                  encoding: str = "PCMU/8000", pause_ms: int = 100, play_pcap: str | None = None,
                  repartition: str | None = None, media_port: int | None = None,
                  sdp_extra: str = "", caller: str = "caller[call_number]", plays: int = 1,
                  play_ms: int = 0) -> str:
    """One call: ``callee`` the request-URI user (a SIPp keyword such as ``[service]`` or
    ``[field0]``), the offer's one codec, then (``play_pcap``) SIPp plays that pcap's RTP
    while the call pauses ``pause_ms``, then BYE. ``repartition``: SIPp's response-time
    buckets (ms, comma-separated) for its statistics. ``media_port``: the offer's m= port
    (default SIPp's own media port); ``sdp_extra``: more lines in the offer (``a=ptime:30``);
    ``caller``: the From user (the remote user the agent sees); ``plays``: the pcap played
    that many times in a row, each ``play_ms`` after the previous one (``pause_ms`` then
    follows the last)."""
    play = ("  <nop>\n    <action>\n      <exec play_pcap_audio=\"%s\"/>\n    </action>\n  </nop>\n"
            % play_pcap) if play_pcap else ""
    during = (play + f'  <pause milliseconds="{play_ms}"/>\n') * (plays - 1) + play if play else ""
    after = f'  <ResponseTimeRepartition value="{repartition}"/>\n' if repartition else ""
    return SCENARIO.format(name=name, callee=callee, payload_type=payload_type, encoding=encoding,
                           pause_ms=pause_ms, during=during, after=after, caller=caller,
                           media_port=media_port if media_port is not None else "[auto_media_port]",
                           sdp_extra=sdp_extra + "\n" if sdp_extra else "")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_calls(target_port: int, scenario: str, run_dir: str, name: str, calls: int, args: list,
              timeout: float) -> list:
    """Run SIPp (scenario text written into run_dir) against 127.0.0.1:target_port for
    ``calls`` calls with the extra SIPp ``args``; returns the set-up times in ms."""
    os.makedirs(run_dir, exist_ok=True)
    path = os.path.join(run_dir, "call.xml")
    with open(path, "w") as f:
        f.write(scenario)
    cmd = ["sipp", f"127.0.0.1:{target_port}", "-sf", path, "-i", "127.0.0.1", "-p", "0",
           "-m", str(calls), "-nostdin", "-timeout_error", "-trace_rtt", "-rtt_freq", "1", *args]
    proc = subprocess.run(cmd, cwd=run_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"SIPp against {name} failed ({proc.returncode}): "
                           f"{proc.stderr.decode(errors='replace')[-1000:]}")
    times = []
    for trace in glob.glob(os.path.join(run_dir, "*_rtt.csv")):
        with open(trace) as f:
            for row in csv.reader(f, delimiter=";"):
                if len(row) >= 2 and row[1].replace(".", "", 1).isdigit():
                    times.append(float(row[1]))
    if len(times) != calls:
        raise RuntimeError(f"{name}: {len(times)} set-up times for {calls} calls")
    return times
