#!/usr/bin/env bash
# The repaired wheel works without any -dev package: build it with scripts/build_wheel.sh
# (sdist -> wheel -> auditwheel repair), install it into a fresh venv, check that its extension
# resolves libopus, libsrtp2, libspeexdsp, libre and libspandsp from inside the package (ldd, then the libraries
# a running engine has mapped), and run the local-network smoke tests from that install.
# (Debian's libsrtp2 links NSS: auditwheel carries libnss3, libnspr4 and friends too.)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/build/wheel-check
rm -rf "$work"
bash scripts/build_wheel.sh "$work/dist"
wheel=$(ls "$work"/dist/agora_rtc-*-manylinux*.whl)
echo "wheel: $(basename "$wheel")"

venv=$work/venv
python3 -m venv "$venv"
"$venv/bin/pip" install -q "$wheel" pytest hypothesis cryptography
ext=$(ls "$venv"/lib/python3*/site-packages/agora_rtc/_core/_engine*.so)
echo "ldd $ext:"
ldd "$ext" | tee "$work/ldd.txt"
if grep -q "not found" "$work/ldd.txt"; then
  echo "FAIL: the installed extension has unresolved libraries" >&2; exit 1
fi
site=$(realpath "$(dirname "$ext")/../..")
for lib in libopus libsrtp2 libspeexdsp libre- libspandsp; do   # libre-: auditwheel's name for the grafted libre (not libresolv)
  resolved=$(awk -v lib="$lib" 'index($1, lib) == 1 && $2 == "=>" { print $3 }' "$work/ldd.txt")
  case "$(realpath -m "${resolved:-/nowhere}")" in
    "$site"/agora_rtc.libs/*) echo "ok: $lib from $(realpath "$resolved")" ;;
    *) echo "FAIL: $lib resolves to '$resolved', not to the package's agora_rtc.libs/" >&2; exit 1 ;;
  esac
done

# A running engine has those libraries mapped from the package, none from the system.
cd "$work"
"$venv/bin/python" - <<'PY'
import agora_rtc as ar
svc = ar.AgoraService(ar.AgoraServiceConfig(appid="wheel-check"))
maps = open("/proc/self/maps").read().split()
for lib in ("libopus", "libsrtp2", "libspeexdsp", "libre-", "libspandsp"):
    paths = {p for p in maps if p.startswith("/") and p.rsplit("/", 1)[-1].startswith(lib)}
    assert paths and all("/site-packages/agora_rtc.libs/" in p for p in paths), (lib, paths)
    print(f"mapped: {sorted(paths)[0]}")
assert "site-packages" in ar.__file__, ar.__file__
svc.release()
PY
"$venv/bin/python" -m agora_rtc doctor >/dev/null

# The local-network smoke tests, the RTP transport's (Opus, SRTP on loopback) and the SIP calls, run by the
# wheel's own install (not the checkout's).
"$venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir="$root" \
  "$root/tests/test_local_audio.py" "$root/tests/test_channels.py" "$root/tests/test_apm.py" \
  "$root/tests/test_encoded_audio.py" "$root/tests/test_doctor.py" "$root/tests/test_rtp_transport.py" \
  "$root/tests/test_sip.py"
echo "repaired wheel: ok"
