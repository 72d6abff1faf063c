"""``python -m agora_rtc.compat script.py [args...]`` (or ``-m module [args...]``):
run a script written for the original SDK against agora_rtc, unchanged."""
from __future__ import annotations

import os
import runpy
import sys

from agora_rtc import compat

_USAGE = "usage: python -m agora_rtc.compat script.py [args...] | -m module [args...]"


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not argv else sys.stdout)
        raise SystemExit(2 if not argv else 0)
    compat.install()
    if argv[0] == "-m":
        if len(argv) < 2:
            print(_USAGE, file=sys.stderr)
            raise SystemExit(2)
        sys.argv = argv[1:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return
    script = argv[0]
    if not os.path.isfile(script):
        print(f"agora_rtc.compat: no such script: {script}", file=sys.stderr)
        raise SystemExit(2)
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # as `python script.py` does
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
