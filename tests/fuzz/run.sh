#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, ASan + UBSan, -DAGORA_RTC_FUZZ=ON) and
# run every fuzzer for SECONDS each (default 30): fuzz_rtp, fuzz_jitter_buffer,
# fuzz_receive, fuzz_video_depacketize, fuzz_data_datagram, fuzz_sip (C, libFuzzer) and fuzz_python_api (atheris, over the public
# Python API of the installed package). Corpora persist in build/fuzz/corpus,
# crashing inputs land in build/fuzz/artifacts; a summary (executions,
# coverage, corpus size, crashes) is printed and saved to build/fuzz/summary.json.
# Exit status 1 when any fuzzer found a crash.
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-30}"
out=build/fuzz
cmake -S . -B "$out" -DCMAKE_C_COMPILER=clang -DAGORA_RTC_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 2
cmake --build "$out" -j2 --target fuzz_rtp fuzz_jitter_buffer fuzz_receive fuzz_video_depacketize fuzz_data_datagram fuzz_sip >/dev/null || exit 2
mkdir -p "$out/artifacts" "$out/logs"
status=0
for name in fuzz_rtp fuzz_jitter_buffer fuzz_receive fuzz_video_depacketize fuzz_data_datagram fuzz_sip fuzz_python_api; do
  mkdir -p "$out/corpus/$name"
  if [ "$name" = fuzz_python_api ]; then
    cmd=(python tests/fuzz/fuzz_python_api.py)
  else
    cmd=("$out/tests/fuzz/$name")
  fi
  # -rss_limit_mb: the engine's buffers are bounded; 2 GB means a leak. -timeout: one input
  # running 30 s is a hang (a finding). The outer timeout bounds the whole run: libFuzzer's
  # own crash handler can itself hang (it allocates after the heap was found corrupted), and
  # a fuzzer that never returns must fail the run, not stall it.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    timeout -k 10 $((seconds + 300)) \
    "${cmd[@]}" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 -rss_limit_mb=2048 \
      -artifact_prefix="$out/artifacts/$name-" "$out/corpus/$name" >"$out/logs/$name.log" 2>&1
  rc=$?
  [ $rc -eq 124 ] || [ $rc -eq 137 ] && echo "$name did not end within $((seconds + 300)) s: killed"
  [ $rc -ne 0 ] && status=1 && tail -40 "$out/logs/$name.log"
  echo "$name exit=$rc"
done
python - "$out" "$seconds" <<'PY'
import json, os, re, sys
out, seconds = sys.argv[1], int(sys.argv[2])
rows = {}
for name in ("fuzz_rtp", "fuzz_jitter_buffer", "fuzz_receive", "fuzz_video_depacketize", "fuzz_data_datagram", "fuzz_sip",
             "fuzz_python_api"):
    log = open(os.path.join(out, "logs", name + ".log"), errors="replace").read()
    stat = lambda key: int(m.group(1)) if (m := re.search(rf"stat::{key}:\s+(\d+)", log)) else None
    covs = re.findall(r" cov: (\d+) ft: (\d+)", log)
    crashes = [f for f in os.listdir(os.path.join(out, "artifacts")) if f.startswith(name + "-")]
    rows[name] = {"seconds": seconds, "executions": stat("number_of_executed_units"),
                  "exec_per_sec": stat("average_exec_per_sec"),
                  "edges_covered": int(covs[-1][0]) if covs else None,
                  "features": int(covs[-1][1]) if covs else None,
                  "corpus_files": len(os.listdir(os.path.join(out, "corpus", name))),
                  "crash_artifacts": crashes}
print(f"{'fuzzer':<20}{'execs':>12}{'exec/s':>9}{'cov':>7}{'ft':>7}{'corpus':>8}  crashes")
for name, r in rows.items():
    print(f"{name:<20}{r['executions'] or 0:>12}{r['exec_per_sec'] or 0:>9}{r['edges_covered'] or 0:>7}"
          f"{r['features'] or 0:>7}{r['corpus_files']:>8}  {len(r['crash_artifacts'])}")
json.dump(rows, open(os.path.join(out, "summary.json"), "w"), indent=1)
PY
exit $status
