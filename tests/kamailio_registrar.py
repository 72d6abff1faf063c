"""A real SIP registrar and proxy for the tests: kamailio (Debian), started on loopback
with a config of its own (no database: in-memory locations, one static password checked
with digest authentication) and stopped by PID."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

from baresip_phone import free_udp_port

KAMAILIO = shutil.which("kamailio") or (os.path.exists("/usr/sbin/kamailio") and "/usr/sbin/kamailio") or None
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"

CONFIG = """#!KAMAILIO
debug=2
log_stderror=yes
children=2
auto_aliases=no
listen=udp:127.0.0.1:{port}
alias="127.0.0.1:{port}"
mpath="{modules}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (has_totag()) {{
        if (loose_route()) {{ t_relay(); exit; }}
        if (is_method("ACK")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("OPTIONS") && uri == myself && $rU == $null) {{ sl_send_reply("200", "Alive"); exit; }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (is_method("REGISTER")) {{
        # digest authentication against one static password; the user must be the From user
        if (!pv_auth_check("$fd", "{password}", "0", "1")) {{ auth_challenge("$fd", "0"); exit; }}
        save("location");
        exit;
    }}
    if (is_method("INVITE")) {{ record_route(); }}
    if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
    t_relay();
}}
"""


class Kamailio:
    def __init__(self, workdir: str, password: str):
        if KAMAILIO is None:
            raise RuntimeError("kamailio is not installed (Debian package kamailio)")
        os.makedirs(workdir, exist_ok=True)
        self.port = free_udp_port()
        cfg = os.path.join(workdir, "kamailio.cfg")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(port=self.port, modules=MODULES, password=password))
        self.log_path = os.path.join(workdir, "kamailio.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([KAMAILIO, "-f", cfg, "-DD", "-E", "-Y", workdir, "-m", "32",
                                      "-M", "8", "-P", os.path.join(workdir, "kamailio.pid")],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 20
        while b"SO_RCVBUF is finally" not in self._log_bytes():   # its UDP socket is up
            if self.proc.poll() is not None:
                raise RuntimeError(f"kamailio exited: {self.log_text()[-3000:]}")
            if time.monotonic() > deadline:
                break          # no marker seen: the tests' own waits tell
            time.sleep(0.1)

    def _log_bytes(self) -> bytes:
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read()

    def log_text(self) -> str:
        return self._log_bytes().decode("utf-8", "replace")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            # its children are in its process group (a session of its own)
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
