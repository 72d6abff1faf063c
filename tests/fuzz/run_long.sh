#!/usr/bin/env bash
# The long fuzz run: every fuzzer for MINUTES each (default 30), corpora kept
# in build/fuzz/corpus so successive runs build on each other.
set -euo pipefail
cd "$(dirname "$0")"
exec bash run.sh "$(( ${1:-30} * 60 ))"
