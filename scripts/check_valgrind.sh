#!/usr/bin/env bash
# valgrind memcheck of a short scenario (tests/valgrind/scenario.py) on the
# normal build of the installed package, with PYTHONMALLOC=malloc so every
# allocation is seen. Suppressions (tests/valgrind/python.supp) hide CPython
# and numpy noise only, tests/valgrind/libvpx.supp libvpx reading the row padding of
# libavcodec's frame copy. Fails on any memory error and on any definite or
# indirect leak whose allocation stack goes through the engine (_engine.so).
# The summary is printed and saved to build/valgrind/summary.json.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/valgrind
mkdir -p "$out"
log="$out/memcheck.log"
PYTHONMALLOC=malloc valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --num-callers=40 --track-fds=no \
  --suppressions=tests/valgrind/python.supp --suppressions=tests/valgrind/libvpx.supp --log-file="$log" \
  python tests/valgrind/scenario.py | tee "$out/stdout" || true
if ! grep -q "scenario done" "$out/stdout"; then
  # say what else was using the machine: a stall under valgrind is most often load
  echo "valgrind scenario did not finish; load: $(cat /proc/loadavg)"
  ps -eo pid,pcpu,etime,args --sort=-pcpu | head -8
  tail -30 "$log"
  exit 1
fi
python - "$log" "$out/summary.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
records = re.split(r"\n==\d+== \n", text)
def num(pattern):
    m = re.search(pattern, text)
    return int(m.group(1).replace(",", "")) if m else 0
ours = lambda r: "_engine.cpython" in r or "agora_" in r
leaks = [r for r in records if re.search(r"(definitely|indirectly) lost in loss record", r)]
errors = [r for r in records if re.search(r"Invalid (read|write|free)|uninitialised|Mismatched free|"
                                          r"overlap|fishy", r)]
summary = {
    "definitely_lost_bytes": num(r"definitely lost: ([\d,]+) bytes"),
    "indirectly_lost_bytes": num(r"indirectly lost: ([\d,]+) bytes"),
    "possibly_lost_bytes": num(r"possibly lost: ([\d,]+) bytes"),
    "still_reachable_bytes": num(r"still reachable: ([\d,]+) bytes"),
    "suppressed_bytes": num(r"suppressed: ([\d,]+) bytes"),
    "error_summary": num(r"ERROR SUMMARY: ([\d,]+) errors"),
    "leak_records_total": len(leaks),
    "leak_records_from_engine": sum(map(ours, leaks)),
    "memory_errors_total": len(errors),
    "memory_errors_in_engine": sum(map(ours, errors)),
}
json.dump(summary, open(sys.argv[2], "w"), indent=1)
for k, v in summary.items():
    print(f"{k:28} {v}")
bad = [r for r in leaks + errors if ours(r)]
for r in bad[:10]:
    print(r)
sys.exit(1 if bad else 0)
PY
