"""What the instruction-count benchmarks share: a probe run in a child process of a tree's
build (optionally under callgrind), and the counting observer the probes register."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile


def run_probe(tree: str, script: str, args: list, valgrind_out: str | None = None,
              keep_out: bool = False) -> dict:
    """Run ``script --probe ARGS`` with TREE/.venv's python (under callgrind when
    ``valgrind_out`` is given: its total instructions go into the result as
    ``instructions``; the file is removed unless ``keep_out``). The probe prints its
    result as JSON on its last line."""
    python = os.path.join(tree, ".venv", "bin", "python")
    cmd = [python, os.path.abspath(script), "--probe", *map(str, args)]
    if valgrind_out:
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={valgrind_out}"] + cmd
    out = subprocess.run(cmd, cwd=tempfile.gettempdir(), capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"probe failed in {tree}:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if valgrind_out:
        with open(valgrind_out) as f:
            result["instructions"] = next(int(line.split()[1]) for line in f if line.startswith("totals:"))
        if not keep_out:
            os.unlink(valgrind_out)
    return result


def frame_counter():
    """An audio frame observer that only counts the frames it gets (``.n``): what a probe
    measures is the SDK's path to it, not the observer's work. Made on demand, so this
    module imports without agora_rtc (the parent process of a probe does not need it)."""
    import agora_rtc as ar

    class FrameCounter(ar.IAudioFrameObserver):
        def __init__(self):
            self.n = 0

        def on_playback_audio_frame_before_mixing(self, lu, channel, uid, frame, state, vad):
            self.n += 1
            return 1
    return FrameCounter()
