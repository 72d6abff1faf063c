"""The browsers' RTM client (examples/web/rtm.js) speaks what agora_rtc.rtm speaks: its
envelope, run by Node.js, makes the same datagrams as rtm/envelope.py byte for byte, puts
Python's back together, and counts losses and garbage the same way on the same streams;
its Janus ids are agora_rtc's. (tests/test_browser_e2e.py runs it in Chromium.)"""
import json
import os
import random
import shutil
import subprocess

import pytest

from agora_rtc.janus.link import janus_id
from agora_rtc.rtm import envelope as env

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
NODE = shutil.which("node") or shutil.which("nodejs")
pytestmark = pytest.mark.skipif(NODE is None, reason="no Node.js (Debian package nodejs)")

RUNNER = r"""
const fs = require("fs"), vm = require("vm");
const RTM = vm.runInThisContext(fs.readFileSync(process.argv[2], "utf8") + "\n;RTM");
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const hex = (b) => Buffer.from(b).toString("hex"), bytes = (h) => new Uint8Array(Buffer.from(h, "hex"));
const out = {
  ids: input.ids.map(RTM.janusId),
  encoded: input.encode.map((e) => RTM.encode(e.seq, e.kind, e.type, e.to, e.custom, bytes(e.payload)).map(hex)),
  streams: input.streams.map((stream) => {
    const got = [];
    const r = new RTM.Reassembler((s, m) => got.push([s, m.kind, m.type, m.to, m.custom, hex(m.payload)]));
    for (const [sender, d] of stream) r.push(sender, bytes(d));
    return { got, dropped: r.dropped, malformed: r.malformed };
  }),
};
process.stdout.write(JSON.stringify(out));
"""


def run_node(tmp_path, data):
    runner = tmp_path / "runner.js"
    runner.write_text(RUNNER)
    proc = subprocess.run([NODE, str(runner), os.path.join(ROOT, "examples", "web", "rtm.js")],
                          input=json.dumps(data), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def python_stream(stream):
    got = []
    r = env.Reassembler(lambda s, m: got.append([s, m[0], m[1], m[2], m[3], m[4].hex()]))
    for sender, d in stream:
        r.push(sender, bytes.fromhex(d))
    return {"got": got, "dropped": r.dropped, "malformed": r.malformed}


def test_rtm_js_and_python_speak_the_same_envelope(tmp_path):
    rnd = random.Random(7)
    messages = [dict(seq=2 ** 32 - 2, kind=1, type=1, to="", custom="", payload="héllo ✓".encode().hex()),
                dict(seq=2 ** 32 - 1, kind=3, type=0, to="ü" * 32, custom="c" * 32,
                     payload=bytes(rnd.randrange(256) for _ in range(32 * 1024)).hex()),
                dict(seq=0, kind=1, type=0, to="", custom="t", payload=bytes(range(256)).hex() * 8)]
    # (sequence numbers consecutive across the wrap) streams: whole messages; a lost datagram; skipped messages; garbage; many senders
    whole = [("a", d.hex()) for m in messages
             for d in env.encode(m["seq"], m["kind"], m["type"], m["to"], m["custom"], bytes.fromhex(m["payload"]))]
    lossy = [x for i, x in enumerate(whole) if i not in (3, 35)]   # in the 2nd and the 3rd message
    garbage = []
    for _ in range(3000):
        d = bytearray(rnd.randrange(256) for _ in range(rnd.choice((0, 3, 7, 8, 9, 60, 1024, 1025))))
        if d and rnd.random() < 0.8:
            d[0] = env.VERSION
            if len(d) >= 7:
                d[1:5] = rnd.randrange(6).to_bytes(4, "big")         # sequences that collide
                d[6] = rnd.randrange(1, 4)
                d[5] = rnd.randrange(0, d[6])
        garbage.append((f"u{rnd.randrange(80)}", bytes(d).hex()))
    streams = [whole, lossy, lossy[::-1], garbage]
    ids = ["agent", "browser", "12345", "ü✓", "9" * 20, "rtm.web-demo.chat"]
    js = run_node(tmp_path, {"ids": ids, "encode": messages, "streams": streams})
    assert js["ids"] == [janus_id(i) for i in ids]
    assert js["encoded"] == [[d.hex() for d in env.encode(m["seq"], m["kind"], m["type"], m["to"], m["custom"],
                                                          bytes.fromhex(m["payload"]))] for m in messages]
    py = [python_stream(s) for s in streams]
    assert js["streams"] == py
    assert [len(s["got"]) for s in py[:2]] == [3, 1] and py[1]["dropped"] == 2   # the test has teeth
    assert py[3]["malformed"] > 0 and py[3]["dropped"] > 0
