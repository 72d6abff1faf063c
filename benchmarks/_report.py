"""Shared benchmark reporting: every benchmark prints a table and saves JSON
(benchmarks/results/<name>.json) with the machine facts next to the numbers."""
from __future__ import annotations

import json
import os
import platform
import time
from typing import Iterable, Sequence

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(q / 100.0 * (len(s) - 1)))))
    return s[k]


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    rows = [[_fmt(v) for v in r] for r in rows]
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    print(f"\n{title}")
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def save(name: str, data: dict) -> str:
    os.makedirs(RESULTS, exist_ok=True)
    data = dict(data)
    data["machine"] = {"platform": platform.platform(), "python": platform.python_version(),
                       "cpus": os.cpu_count(), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    path = os.path.join(RESULTS, f"{name}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
    print(f"\nsaved {path}")
    return path
