#!/usr/bin/env bash
# The sanitizer build (ASan + UBSan, one flag: AGORA_RTC_SANITIZE=ON) in its own
# virtualenv, then the test suite under it. Any sanitizer report aborts the
# process, which fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

# The C unit tests (tests/native, incl. random-garbage loops over the RTP/RTCP
# parsers and the jitter buffer) built with the sanitizers.
cmake -S . -B build/native-asan -DAGORA_RTC_NATIVE_TESTS=ON -DAGORA_RTC_SANITIZE=ON >/dev/null
cmake --build build/native-asan -j2 >/dev/null
ctest --test-dir build/native-asan --output-on-failure

venv="${AGORA_RTC_ASAN_VENV:-build/asan-venv}"
rm -rf "$venv"
python -m venv "$venv"
AGORA_RTC_SANITIZE=ON "$venv/bin/pip" install -q ".[test,plot,speech]" -Cbuild-dir=build/asan

# The speech tools the tests run (espeak-ng, flite, festival, sox) hang when they inherit the
# preloaded ASan runtime: they run through shims that drop it (so do the SIP peers of the SIP
# tests: baresip, kamailio, SIPp). Python children keep it.
shims=$PWD/build/asan-shims
mkdir -p "$shims"
for tool in espeak-ng flite text2wave festival sox baresip kamailio sipp; do
  real=$(command -v "$tool") || continue
  printf '#!/bin/sh\nunset LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS\nexec %s "$@"\n' "$real" >"$shims/$tool"
  chmod +x "$shims/$tool"
done
export PATH="$shims:$PATH"

preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
# CPython itself is not instrumented and keeps memory until exit: leak checks off.
LD_PRELOAD="$preload" \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider --import-mode=append "$@" tests
