# SipAgent: the SIP user agent of agora_rtc/sip.h (libre on a thread of its own).
# The control plane (agora_rtc.sip) turns its events into calls of connections.

SIP_EV_INCOMING = lib.AGORA_SIP_EV_INCOMING
SIP_EV_PROGRESS = lib.AGORA_SIP_EV_PROGRESS
SIP_EV_ESTABLISHED = lib.AGORA_SIP_EV_ESTABLISHED
SIP_EV_CLOSED = lib.AGORA_SIP_EV_CLOSED
SIP_EV_MEDIA = lib.AGORA_SIP_EV_MEDIA
SIP_EV_REGISTERED = lib.AGORA_SIP_EV_REGISTERED
SIP_EV_TRANSFER = lib.AGORA_SIP_EV_TRANSFER


cdef class SipAgent:
    """A SIP user agent bound to listen_ip:listen_port (0: ephemeral)."""
    cdef lib.agora_sip_agent *agent
    cdef readonly int port
    cdef readonly int tls_port   # 0: no TLS
    cdef int busy          # calls inside the native agent now (counted under the GIL)

    def __cinit__(self, bytes listen_ip, int listen_port=0, bytes user=b"agent", bytes registrar=None,
                  bytes password=None, int expires=0, int keepalive_s=0, int srtp=0,
                  bytes tls_cert_pem=None, bytes tls_key_pem=None, int tls_port=0,
                  bint registrar_tls=False):
        if not 0 <= listen_port < 65536:
            raise ValueError(f"SIP listen port must be 0..65535, got {listen_port}")
        cdef lib.agora_sip_config cfg
        memset(&cfg, 0, sizeof(cfg))
        cfg.listen_ip = listen_ip
        cfg.listen_port = <uint16_t>listen_port
        cfg.user = user
        if not lib.AGORA_SIP_SRTP_OFF <= srtp <= lib.AGORA_SIP_SRTP_MANDATORY:
            raise ValueError(f"SIP srtp must be 0 (off), 1 (optional) or 2 (mandatory), got {srtp}")
        cfg.srtp = srtp
        if (tls_cert_pem is None) != (tls_key_pem is None):
            raise ValueError("SIP over TLS needs both the certificate and its private key (PEM)")
        if not 0 <= tls_port < 65536:
            raise ValueError(f"SIP TLS port must be 0..65535, got {tls_port}")
        if tls_cert_pem is not None:
            if b"\0" in tls_cert_pem or b"\0" in tls_key_pem:
                raise ValueError("SIP TLS certificate / key: PEM text expected (no NUL bytes)")
            cfg.tls_cert_pem = tls_cert_pem
            cfg.tls_key_pem = tls_key_pem
            cfg.tls_port = <uint16_t>tls_port
        elif tls_port:
            raise ValueError("SIP TLS port without a certificate")
        if registrar is not None:
            cfg.registrar = registrar
            cfg.password = password if password is not None else b""
            cfg.expires = expires
            cfg.keepalive_s = keepalive_s
            if registrar_tls and tls_cert_pem is None:
                raise ValueError("SIP registration over TLS needs the TLS transport (a certificate)")
            cfg.registrar_tls = registrar_tls
        elif registrar_tls:
            raise ValueError("SIP registration over TLS needs a registrar")
        elif keepalive_s:
            raise ValueError("SIP keepalive needs a registrar (the OPTIONS go to it)")
        if not 0 <= keepalive_s <= 86400:
            raise ValueError(f"SIP keepalive must be 0..86400 seconds, got {keepalive_s}")
        cdef int rc
        with nogil:
            rc = lib.agora_sip_agent_create(&cfg, &self.agent)
        if rc != 0:
            self.agent = NULL
            if rc == lib.AGORA_ERR_INVALID_ARGUMENT:
                raise ValueError(f"SIP agent: bad listen address {listen_ip!r} port {listen_port}, "
                                 f"user {user!r} or registrar {registrar!r} (expected an IP literal, "
                                 "a plain user part and host[:port])")
            if tls_cert_pem is not None:
                check(rc, f"SIP agent on {listen_ip.decode()}:{listen_port} (TLS port {tls_port}) "
                          "did not start (is a port taken? is the certificate a PEM certificate "
                          "whose private key is the PEM key given?)")
            check(rc, f"SIP agent on {listen_ip.decode()}:{listen_port} did not start "
                      "(is the port taken?)")
        self.port = lib.agora_sip_agent_port(self.agent)
        self.tls_port = lib.agora_sip_agent_tls_port(self.agent)

    def __dealloc__(self):
        self.close()

    def close(self):
        """Hang up every call and stop the agent (idempotent). Calls in flight on
        other threads (a reader in next_event) return first; then it is freed."""
        cdef lib.agora_sip_agent *a = self.agent
        self.agent = NULL
        if a == NULL:
            return
        with nogil:
            lib.agora_sip_agent_stop(a)
        while self.busy > 0:
            time.sleep(0.001)
        with nogil:
            lib.agora_sip_agent_destroy(a)

    cdef lib.agora_sip_agent *_enter(self, what) except NULL:
        if self.agent == NULL:
            raise _errors.InvalidStateError(f"SIP agent {what}: the agent is closed")
        self.busy += 1
        return self.agent

    def next_event(self, int timeout_ms=-1):
        """The next event as a dict, None on timeout; raises once the agent closed."""
        cdef lib.agora_sip_agent *a = self._enter("next_event")
        cdef lib.agora_sip_event ev
        cdef int rc
        try:
            # an event waiting is taken without giving up the GIL (the queue's mutex is
            # only ever held briefly, by threads that never need the GIL): under load
            # each re-acquisition waits behind the other Python threads
            rc = lib.agora_sip_next_event(a, &ev, 0)
            if rc == 0 and timeout_ms != 0:
                with nogil:
                    rc = lib.agora_sip_next_event(a, &ev, timeout_ms)
        finally:
            self.busy -= 1
        if rc == 0:
            return None
        if rc < 0:
            raise _errors.InvalidStateError("SIP agent next_event: the agent is closing")
        return {"kind": ev.kind, "call": ev.call, "status": ev.status,
                "from_user": ev.from_user.decode("utf-8", "replace"),
                "to_user": ev.to_user.decode("utf-8", "replace"),
                "remote_ip": ev.remote_ip.decode("ascii", "replace"),
                "remote_port": ev.remote_port, "remote_rtcp_port": ev.remote_rtcp_port,
                "codec": ev.codec, "payload_type": ev.payload_type,
                "dtmf_payload_type": ev.dtmf_payload_type, "ptime_ms": ev.ptime_ms,
                "hold": bool(ev.hold),
                "reason": ev.reason.decode("utf-8", "replace"),
                "srtp_suite": ev.srtp_suite,
                "srtp_remote_key": (<char *>ev.srtp_remote_key)[:lib.AGORA_SIP_SRTP_KEY_LEN]
                                   if ev.srtp_suite else b"",
                "srtp_local_key": (<char *>ev.srtp_local_key)[:lib.AGORA_SIP_SRTP_KEY_LEN]
                                  if ev.srtp_suite else b""}

    def answer(self, unsigned int call, bytes media_ip, int media_port):
        cdef lib.agora_sip_agent *a = self._enter("answer")
        cdef const char *ip = media_ip
        cdef int rc
        try:
            with nogil:
                rc = lib.agora_sip_answer(a, call, ip, <uint16_t>media_port)
        finally:
            self.busy -= 1
        return rc

    def progress(self, unsigned int call, bytes media_ip, int media_port):
        cdef lib.agora_sip_agent *a = self._enter("progress")
        cdef const char *ip = media_ip
        cdef int rc
        try:
            with nogil:
                rc = lib.agora_sip_progress(a, call, ip, <uint16_t>media_port)
        finally:
            self.busy -= 1
        return rc

    def reject(self, unsigned int call, int status):
        cdef lib.agora_sip_agent *a = self._enter("reject")
        cdef int rc
        try:
            with nogil:
                rc = lib.agora_sip_reject(a, call, status)
        finally:
            self.busy -= 1
        return rc

    def dial(self, bytes uri, bytes media_ip, int media_port):
        """Returns (rc, call id)."""
        cdef lib.agora_sip_agent *a = self._enter("dial")
        cdef const char *u = uri
        cdef const char *ip = media_ip
        cdef uint32_t call = 0
        cdef int rc
        try:
            with nogil:
                rc = lib.agora_sip_dial(a, u, ip, <uint16_t>media_port, &call)
        finally:
            self.busy -= 1
        return rc, call

    def transfer(self, unsigned int call, bytes uri):
        cdef lib.agora_sip_agent *a = self._enter("transfer")
        cdef const char *u = uri
        cdef int rc
        try:
            with nogil:
                rc = lib.agora_sip_transfer(a, call, u)
        finally:
            self.busy -= 1
        return rc

    def hangup(self, unsigned int call):
        cdef lib.agora_sip_agent *a = self._enter("hangup")
        cdef int rc
        try:
            with nogil:
                rc = lib.agora_sip_hangup(a, call)
        finally:
            self.busy -= 1
        return rc

    def stats(self):
        cdef lib.agora_sip_agent *a = self._enter("stats")
        cdef lib.agora_sip_stats s
        cdef int rc
        try:
            with nogil:
                rc = lib.agora_sip_get_stats(a, &s)
        finally:
            self.busy -= 1
        check(rc, "SIP agent stats")
        return {"invites": s.invites, "rejected_offers": s.rejected_offers,
                "rejected_busy": s.rejected_busy, "options": s.options, "calls": s.calls,
                "keepalives_sent": s.keepalives_sent, "keepalives_answered": s.keepalives_answered,
                "keepalive_status": s.keepalive_status}
