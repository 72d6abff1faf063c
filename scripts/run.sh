#!/usr/bin/env bash
# The README's two commands:
#   bash scripts/run.sh demo          the demo agent on the local network
#   bash scripts/run.sh test [ARGS]   the whole test suite (with ARGS: only pytest, with them)
# Each first installs what it needs and this machine lacks: the Debian packages listed in
# src/agora_rtc/debian_packages.txt (apt-get as root; otherwise it names the command to run),
# a virtual environment in .venv, and the package with its test extras. A second run installs
# nothing: the package is rebuilt only when a hash of its sources differs from the one kept in
# .venv, so running it again is fast and changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
what=${1:-}
shift || true
case "$what" in
  demo) needs="build" ;;
  test) needs="build janus browser video test" ;;
  *) echo "usage: bash scripts/run.sh demo | test [pytest args]" >&2; exit 2 ;;
esac
say() { printf '\033[1m[run.sh]\033[0m %s\n' "$*"; }

# ---- 1. Debian packages ----
wanted=$(awk -v needs=" $needs " '!/^#/ && NF >= 2 && index(needs, " " $1 " ") { print $2 }' \
  src/agora_rtc/debian_packages.txt)
if command -v dpkg-query >/dev/null 2>&1; then
  missing=$(for p in $wanted; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done | tr '\n' ' ')
  if [ -n "${missing// /}" ]; then
    if [ "$(id -u)" -eq 0 ]; then
      say "installing Debian packages: $missing"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      # shellcheck disable=SC2086
      apt-get install -y -qq $missing >/dev/null
    else
      echo "agora_rtc needs these Debian packages, which are not installed:" >&2
      echo "  $missing" >&2
      echo "Install them as root, then run this command again:" >&2
      echo "  sudo apt-get install -y $missing" >&2
      exit 1
    fi
  fi
else
  say "not a Debian system: install the equivalents of these yourself: $wanted"
fi

# ---- 2. the virtual environment in the checkout ----
python=${PYTHON:-python3}
venv=$root/.venv
if ! "$venv/bin/python" -c "" 2>/dev/null; then
  "$python" -c 'import sys; assert sys.version_info >= (3, 10), "agora_rtc needs Python >= 3.10"'
  say "creating the virtual environment $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
export PATH="$venv/bin:$PATH"   # `python` and `pip` below and in the check scripts are the venv's
unset PYTHONPATH

# ---- 3. the package with its test extras, rebuilt only when its sources changed ----
stamp=$(
  { python -c 'import sys; print(sys.version)'
    find src cmake CMakeLists.txt pyproject.toml -type f ! -name '*.so' ! -name '*.pyc' -print0 \
      | sort -z | xargs -0 sha256sum; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$venv/agora_rtc.stamp" 2>/dev/null)" != "$stamp" ]; then
  say "building and installing agora_rtc[test,plot,speech] into $venv"
  pip install -q ".[test,plot,speech]"   # plot: matplotlib (VAD timeline tests); speech: pocketsphinx
  # The Smart Turn tests (tests/test_agent_smart_turn.py) need onnxruntime and the ONNX file
  # inside the pipecat-ai wheel, not pipecat's own ~500 MB of dependencies: --no-deps.
  pip install -q "onnxruntime>=1.17"
  pip install -q --no-deps "pipecat-ai>=1.14"
  echo "$stamp" >"$venv/agora_rtc.stamp"
fi

# ---- 4. run ----
if [ "$what" = demo ]; then
  exec python examples/demo_agent.py
fi
if [ $# -gt 0 ]; then
  exec python -m pytest "$@"
fi

# The whole suite, stage by stage; every stage runs, the summary names each one's outcome.
results=()
failed=0
stage() {
  local name=$1 start=$SECONDS rc=0
  shift
  say "stage: $name"
  "$@" || rc=$?
  results+=("$(printf '%-22s %-6s %5d s' "$name" "$([ $rc -eq 0 ] && echo ok || echo FAILED)" $((SECONDS - start)))")
  [ $rc -eq 0 ] || failed=1
}
# Everything the suite uses is on this machine (else a test would skip for a missing tool).
stage "doctor" python -m agora_rtc doctor --need $needs
stage "pytest" python -m pytest
stage "C tests + sanitizers" bash scripts/check_sanitize.sh
stage "fuzz" bash scripts/check_fuzz.sh
stage "valgrind" bash scripts/check_valgrind.sh
stage "repaired wheel" bash scripts/check_wheel.sh
# Running a README command again installs nothing: the demo, with its output checked.
rerun_installs_nothing() {
  local out
  out=$(bash scripts/run.sh demo 2>&1) || { echo "$out"; return 1; }
  echo "$out" | tail -2
  if echo "$out" | grep -E '\[run.sh\].* (installing|creating|building)'; then
    echo "a second run installed something" >&2; return 1
  fi
}
stage "second run (demo)" rerun_installs_nothing
echo
say "summary"
printf '  %s\n' "${results[@]}"
exit $failed
