"""Command line of the fleet.

    python -m agora_rtc.fleet worker my_agent:entry --redis redis://host:6379/0 [--capacity 50]
    python -m agora_rtc.fleet add-janus NAME janus://host:8088?admin_key=... --redis ...
    python -m agora_rtc.fleet dispatch ROOM [--metadata JSON] --redis ...
    python -m agora_rtc.fleet status --redis ...
    python -m agora_rtc.fleet watch --redis ...     # agents for rooms humans join, until SIGTERM
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys


def load_entry(spec: str):
    """``module:function`` -> the function (the current folder is importable)."""
    module, sep, attr = spec.partition(":")
    if not sep or not module or not attr:
        raise SystemExit(f"entry must be module:function, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise SystemExit(f"{spec} is not callable")
    return obj


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m agora_rtc.fleet")
    ap.add_argument("--redis", default=os.environ.get("AGORA_RTC_FLEET_REDIS", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--namespace", default="fleet")
    ap.add_argument("--log-level", default="INFO")
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worker", help="run agent sessions for the fleet's jobs")
    w.add_argument("entry", help="module:function called with an AgentContext per job")
    w.add_argument("--capacity", type=int, default=50)
    w.add_argument("--id", default=None, help="worker id (default: host-pid-random)")
    w.add_argument("--drain-timeout", type=float, default=10.0)
    j = sub.add_parser("add-janus", help="register a Janus server")
    j.add_argument("name")
    j.add_argument("url")
    d = sub.add_parser("dispatch", help="queue an agent for a room")
    d.add_argument("room")
    d.add_argument("--metadata", default="{}")
    d.add_argument("--janus", default=None)
    sub.add_parser("status", help="workers, Janus servers, down servers")
    wr = sub.add_parser("watch", help="dispatch an agent to each room a human joins (until SIGTERM)")
    wr.add_argument("--interval", type=float, default=0.2)
    a = ap.parse_args(argv)
    logging.basicConfig(level=a.log_level.upper(), format="%(asctime)s %(name)s %(message)s")

    from agora_rtc.fleet import Dispatcher, Worker
    if a.cmd == "worker":
        worker = Worker(load_entry(a.entry), a.redis, capacity=a.capacity, worker_id=a.id,
                        namespace=a.namespace, drain_timeout=a.drain_timeout)
        worker.install_signal_handlers()
        print(f"worker {worker.id} ready", flush=True)
        worker.run()
        return 0
    with Dispatcher(a.redis, namespace=a.namespace) as disp:
        if a.cmd == "add-janus":
            disp.add_janus(a.name, a.url)
        elif a.cmd == "watch":
            import signal
            import threading
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            watcher = disp.watch_rooms(interval=a.interval)
            print("watching", flush=True)
            stop.wait()
            watcher.stop()
        elif a.cmd == "dispatch":
            print(disp.dispatch(a.room, json.loads(a.metadata), janus=a.janus))
        else:
            print(json.dumps({"workers": disp.workers(), "janus": sorted(disp.janus_servers()),
                              "janus_down": sorted(disp.down_janus()),
                              "answering": disp.check_janus()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
