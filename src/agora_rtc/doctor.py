"""``python -m agora_rtc doctor``: what this machine has and lacks for each part of agora_rtc.

It checks, in plain words: the engine itself (and where its native libraries come from), the
Janus transport, the browser demo, the video sources, building from source and the whole test
suite, and prints the one ``apt-get install`` line that supplies what is missing. The list of
what each part needs is ``debian_packages.txt`` beside this file (``scripts/run.sh`` installs
from the same list). ``--need PART ...`` makes the exit status 1 when one of those parts lacks
something.
"""
from __future__ import annotations

import argparse
import glob
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

PACKAGE_LIST = Path(__file__).with_name("debian_packages.txt")
NATIVE_LIBRARIES = ("libopus", "libsrtp2", "libspeexdsp")

# The parts, in the order they are reported, with what each is for.
PARTS = {
    "engine": "Local network (the default transport) and the engine",
    "janus": "Janus transport (janus:// URLs)",
    "browser": "Browser demo (examples/web_agent.py)",
    "video": "Video sources for the examples (examples/video_source.py)",
    "build": "Building from source (pip install . from a checkout or sdist)",
    "test": "The whole test suite (bash scripts/run.sh test)",
}
# A part also needs the parts listed here (the browser demo runs Janus).
INCLUDES = {"browser": ("janus",), "test": ("build", "janus", "browser", "video")}


@dataclass
class Requirement:
    need: str          # the part: build, janus, browser, video, test
    package: str       # the Debian package that supplies it
    probe: str         # cmd:NAME, pc:NAME, file:PATH or glob:PATTERN
    purpose: str


@dataclass
class Finding:
    name: str
    ok: bool
    detail: str
    package: Optional[str] = None   # what to install when not ok


def load_requirements(path: Path = PACKAGE_LIST) -> List[Requirement]:
    """Parse ``debian_packages.txt``: ``need package probe purpose...`` per line."""
    out = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split(None, 3)
        if len(fields) < 3 or fields[0] not in PARTS or ":" not in fields[2]:
            raise ValueError(f"{path}:{number}: expected 'need package kind:probe purpose', "
                             f"with need one of {sorted(set(PARTS) - {'engine'})}, got {line!r}")
        out.append(Requirement(fields[0], fields[1], fields[2], fields[3] if len(fields) > 3 else ""))
    return out


def probe(spec: str) -> Optional[str]:
    """Where ``spec`` is found on this machine (a path or a version), or None."""
    kind, _, arg = spec.partition(":")
    arg = arg.replace("{arch}", platform.machine())
    if kind == "cmd":
        return shutil.which(arg)
    if kind == "file":
        return arg if os.path.isfile(arg) else None
    if kind == "glob":
        hits = sorted(glob.glob(arg))
        return hits[0] if hits else None
    if kind == "pc":
        if shutil.which("pkg-config") is None:
            return None
        r = subprocess.run(["pkg-config", "--modversion", arg], capture_output=True, text=True)
        return f"{arg} {r.stdout.strip()}" if r.returncode == 0 else None
    raise ValueError(f"unknown probe kind {kind!r} in {spec!r}: expected cmd, file, glob or pc")


def check_engine() -> List[Finding]:
    """Import the engine, say where its native libraries were loaded from, start a service."""
    try:
        from agora_rtc._core import _engine
    except ImportError as e:
        return [Finding("engine", False, f"cannot be loaded: {e}")]
    found = [Finding("engine", True, _engine.__file__)]
    maps = _mapped_files()
    for lib in NATIVE_LIBRARIES:
        hits = sorted({p for p in maps if os.path.basename(p).startswith(lib)})
        if not hits:
            found.append(Finding(lib, False, "not loaded by the engine"))
            continue
        inside = "agora_rtc.libs" in hits[0]
        found.append(Finding(lib, True, hits[0] + (" (carried inside the package)" if inside
                                                   else " (from the system)")))
    try:
        import agora_rtc as ar
        service = ar.AgoraService(ar.AgoraServiceConfig(appid="doctor"))
        service.release()
        found.append(Finding("service", True, "an AgoraService starts and stops on this machine"))
    except Exception as e:  # the report names any failure instead of ending the check
        found.append(Finding("service", False, f"an AgoraService failed to start: {e!r}"))
    return found


def _mapped_files() -> List[str]:
    try:
        with open("/proc/self/maps") as f:
            return [line.split(None, 5)[5].strip() for line in f if len(line.split(None, 5)) == 6]
    except OSError:
        return []


def check_janus_modules() -> Finding:
    """Janus's plugin folder with the VideoRoom plugin, which the transport uses."""
    from agora_rtc.janus.server import _find_lib_dir
    lib = _find_lib_dir()
    plugin = lib and next(iter(glob.glob(str(lib / "plugins" / "libjanus_videoroom.so*"))), None)
    if plugin:
        return Finding("videoroom", True, plugin)
    return Finding("videoroom", False, "Janus's VideoRoom plugin was not found "
                   "(set AGORA_RTC_JANUS_LIB to the folder holding plugins/)", "janus")


def check_part(part: str, requirements: Sequence[Requirement]) -> List[Finding]:
    if part == "engine":
        return check_engine()
    found = []
    for req in requirements:
        if req.need != part:
            continue
        where = probe(req.probe)
        found.append(Finding(req.package, where is not None, where or req.purpose, req.package))
    if part == "janus" and all(f.ok for f in found):
        found.append(check_janus_modules())
    return found


def report(parts: Sequence[str], requirements: Sequence[Requirement]) -> Dict[str, List[Finding]]:
    return {part: check_part(part, requirements) for part in parts}


def render(results: Dict[str, List[Finding]]) -> str:
    import agora_rtc
    lines = [f"agora_rtc {agora_rtc.__version__} on Python {platform.python_version()}, "
             f"{platform.system()} {platform.machine()}", ""]
    for part, findings in results.items():
        state = "ready" if all(f.ok for f in findings) else "NOT READY"
        lines.append(f"{PARTS[part]}: {state}")
        for f in findings:
            lines.append(f"  {'ok' if f.ok else 'MISSING':8} {f.name:28} {f.detail}")
        lines.append("")
    missing = _missing_packages(results)
    if missing:
        lines.append("To install what is missing (Debian, as root):")
        lines.append("  apt-get install -y " + " ".join(missing))
    else:
        lines.append("Nothing is missing.")
    return "\n".join(lines)


def _missing_packages(results: Dict[str, List[Finding]]) -> List[str]:
    seen: List[str] = []
    for findings in results.values():
        for f in findings:
            if not f.ok and f.package and f.package not in seen:
                seen.append(f.package)
    return seen


def _with_included(parts: Sequence[str]) -> List[str]:
    out: List[str] = []
    for p in parts:
        for q in (*INCLUDES.get(p, ()), p):
            if q not in out:
                out.append(q)
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agora_rtc doctor", description=__doc__.split("\n")[0])
    parser.add_argument("--need", nargs="+", choices=[p for p in PARTS if p != "engine"], default=[],
                        metavar="PART", help="exit with status 1 when one of these parts "
                        f"({', '.join(p for p in PARTS if p != 'engine')}) lacks something")
    args = parser.parse_args(argv)
    results = report(list(PARTS), load_requirements())
    print(render(results))
    needed = ["engine"] + _with_included(args.need)
    return 1 if any(not f.ok for p in needed for f in results[p]) else 0


if __name__ == "__main__":
    sys.exit(main())
