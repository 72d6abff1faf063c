#!/usr/bin/env bash
# The short fuzz run of CI (well under 3 minutes in all): the build of the
# libFuzzer harnesses and 20 s for each of the six fuzzers (tests/fuzz/run.sh).
# Any crash fails the run. The long run is tests/fuzz/run_long.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/fuzz/run.sh 20
