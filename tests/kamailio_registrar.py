"""A real SIP registrar and proxy for the tests: kamailio (Debian), started on loopback
with a config of its own (no database: in-memory locations, one static password checked
with digest authentication) and stopped by PID."""

from __future__ import annotations

import os
import shutil
import signal
import socket
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
{tls_listen}mpath="{modules}"
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
{tls_module}
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
        xlog("L_INFO", "REGISTER over $pr, contact $ct\\n");
        save("location");
        exit;
    }}
    if (is_method("INVITE")) {{ record_route(); }}
    if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
    xlog("L_INFO", "$rm relayed to $ru\\n");
    t_relay();
}}
"""


TLS_LISTEN = """enable_tls=yes
listen=tls:127.0.0.1:{tls_port}
"""
TLS_MODULE = """loadmodule "tls.so"
modparam("tls", "config", "{tls_config}")
"""
# the tls module's own file: our test certificate; peers' certificates are not checked
TLS_CONFIG = """[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
certificate = {cert}
private_key = {key}

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
"""


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Kamailio:
    """``tls=(cert_file, key_file)`` also listens for SIP over TLS on ``tls_port`` (needs
    Debian's kamailio-tls-modules)."""

    def __init__(self, workdir: str, password: str, tls=None):
        if KAMAILIO is None:
            raise RuntimeError("kamailio is not installed (Debian package kamailio)")
        os.makedirs(workdir, exist_ok=True)
        self.port = free_udp_port()
        self.tls_port = 0
        tls_listen = tls_module = ""
        if tls is not None:
            if not os.path.exists(os.path.join(MODULES, "tls.so")):
                raise RuntimeError("kamailio's tls module is not installed (Debian package kamailio-tls-modules)")
            self.tls_port = free_tcp_port()
            tls_config = os.path.join(workdir, "tls.cfg")
            with open(tls_config, "w") as f:
                f.write(TLS_CONFIG.format(cert=tls[0], key=tls[1]))
            tls_listen = TLS_LISTEN.format(tls_port=self.tls_port)
            tls_module = TLS_MODULE.format(tls_config=tls_config)
        cfg = os.path.join(workdir, "kamailio.cfg")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(port=self.port, modules=MODULES, password=password,
                                  tls_listen=tls_listen, tls_module=tls_module))
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
