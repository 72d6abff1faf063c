"""SIP over TLS: the transport URL's ``tls_port=`` with ``cert=`` / ``key=`` (PEM files;
here a self-signed certificate the test makes with ``cryptography``). baresip (Debian)
calls the agent on its TLS port only (nothing else listens there: a call that comes up
came over TLS) and is called by the agent on its own TLS listener; the media of both
calls is heard both ways. A TLS URL without a readable certificate is a clear error."""
import datetime
import ipaddress
import os
import time

import numpy as np
import pytest

import agora_rtc as ar
from conftest import join, wait_until
from baresip_phone import BARESIP, BaresipPhone, phones  # noqa: F401 (the fixture)
from test_sip import (ANSWER_HZ, VAD_START, assert_heard_answer, dominant_hz, question, tone,  # noqa: F401
                      call_through_the_proxy, talk_to_callee_and_hang_up, vad_states)

pytestmark = pytest.mark.skipif(BARESIP is None, reason="baresip (Debian) is not installed")


@pytest.fixture
def certificate(tmp_path):
    """(cert.pem, key.pem, both.pem): a self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    paths = []
    for name, data in (("cert.pem", cert_pem), ("key.pem", key_pem), ("both.pem", cert_pem + key_pem)):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    return tuple(paths)


def tls_service(cert, key, extra=""):
    return ar.AgoraService(ar.AgoraServiceConfig(
        appid="sip-tls", transport_url=f"sip://127.0.0.1:0?dial=allow&tls_port=0&cert={cert}&key={key}{extra}"))


def test_caller_over_tls(phones, question, certificate):
    cert, key, both = certificate
    svc = tls_service(cert, key)
    assert svc.sip.tls_port > 0 and svc.sip.tls_port != svc.sip.port
    conn, rec = join(svc, "agent", "bot", vad=ar.AudioVadConfigV2())
    phone = phones(source=question, codecs=("PCMU",), tls_cert=both)
    phone.dial(f"sip:agent@127.0.0.1:{svc.sip.tls_port};transport=tls")
    rec.wait_event("joined", "phone", timeout=20)
    phone.wait_event("CALL_ESTABLISHED")
    rec.wait_for(lambda: VAD_START in vad_states(rec, "phone"), timeout=20)
    assert conn.push_audio_pcm_data(tone(1.5).tobytes(), 16000, 1) == 0
    wait_until(conn.is_push_to_rtc_completed, timeout=10, what="answer sent")
    time.sleep(0.5)
    phone.hangup()                                   # its BYE comes over TLS too
    rec.wait_event("left", "phone", 0, timeout=15)
    assert conn.phone.wait("ended", timeout=10) and conn.phone.call.reason == "BYE"
    phone.wait_event("CALL_CLOSED")
    assert_heard_answer(phone)
    conn.release()
    svc.release()


def test_dial_over_tls_with_srtp(phones, question, certificate):
    """The agent calls baresip's TLS listener; SRTP on top (the SDES keys then travel
    inside TLS, as RFC 4568 asks)."""
    cert, key, both = certificate
    svc = tls_service(cert, key, "&srtp=mandatory")
    conn, rec = join(svc, "agent", "bot", vad=ar.AudioVadConfigV2())
    callee = phones("callee", source=question, auto_answer=True, codecs=("PCMA",), tls_cert=both,
                    mediaenc="srtp-mand")
    call = conn.phone.dial(callee.tls_uri)
    talk_to_callee_and_hang_up(conn, rec, callee, call)
    assert call.srtp.startswith("AES_CM_128_HMAC_SHA1_")
    conn.release()
    svc.release()


def test_registers_over_tls_and_takes_calls_through_the_proxy(phones, question, certificate, tmp_path):
    """registrar_transport=tls: the agent registers with kamailio over TLS (digest
    authentication; kamailio's own log says the REGISTER came over TLS with a TLS contact),
    its OPTIONS keepalives go the same way, and a phone's call to the agent's AOR at the
    proxy is routed to that TLS contact and reaches the agent's channel."""
    from kamailio_registrar import KAMAILIO, MODULES, Kamailio
    if KAMAILIO is None or not os.path.exists(os.path.join(MODULES, "tls.so")):
        pytest.skip("kamailio with its tls module (Debian kamailio-tls-modules) is not installed")
    cert, key, _ = certificate
    kam = Kamailio(str(tmp_path / "kamailio"), "s3cret", tls=(cert, key))
    try:
        svc = ar.AgoraService(ar.AgoraServiceConfig(
            appid="sip-tls", transport_url=f"sip://agent:s3cret@127.0.0.1:0?registrar=127.0.0.1:{kam.tls_port}"
                                           f"&registrar_transport=tls&keepalive=1&tls_port=0&cert={cert}&key={key}"))
        try:
            assert svc.sip.wait_registered(timeout=20), (svc.sip.registration_status, kam.log_text()[-2000:])
            log = kam.log_text()
            assert "REGISTER over tls, contact <sip:agent@127.0.0.1:" in log, log[-2000:]
            assert ";transport=tls>" in log.split("REGISTER over tls, contact ")[1].splitlines()[0]
            wait_until(lambda: svc.sip.stats()["keepalives_answered"] >= 1, timeout=15,
                       what="an OPTIONS keepalive answered over TLS")

            def relayed_over_tls():
                relayed = [line for line in kam.log_text().splitlines() if "INVITE relayed to" in line]
                assert relayed and "transport=tls" in relayed[0], relayed
            call_through_the_proxy(svc, kam, phones, question, relayed_over_tls)   # the phone: UDP to the proxy
        finally:
            svc.release()
    finally:
        kam.stop()


def test_tls_url_errors(tmp_path, certificate):
    cert, key, _ = certificate
    bad = [
        (f"sip://127.0.0.1:0?tls_port=0", "cert="),
        (f"sip://127.0.0.1:0?cert={cert}", "tls_port"),
        (f"sip://127.0.0.1:0?tls_port=99999&cert={cert}", "tls_port"),
        (f"sip://127.0.0.1:0?tls_port=0&cert={tmp_path}/missing.pem", "cannot read"),
        (f"sip://127.0.0.1:0?tls_port=0&cert={cert}&key={tmp_path}/missing.pem", "cannot read"),
        (f"sip://a:pw@127.0.0.1:0?registrar=127.0.0.1:5061&registrar_transport=tls", "tls_port"),
        (f"sip://a:pw@127.0.0.1:0?registrar=127.0.0.1:5061&registrar_transport=tcp", "'udp' or 'tls'"),
        (f"sip://127.0.0.1:0?registrar_transport=tls&tls_port=0&cert={cert}", "add registrar"),
    ]
    (tmp_path / "junk.pem").write_text("not a certificate")
    bad.append((f"sip://127.0.0.1:0?tls_port=0&cert={tmp_path}/junk.pem&key={key}", "not a PEM"))
    for url, words in bad:
        with pytest.raises(ValueError, match=words):
            svc = ar.AgoraService(ar.AgoraServiceConfig(appid="sip-tls", transport_url=url))
            svc.release()
    # a key that does not belong to the certificate: the agent does not start
    (tmp_path / "other.pem").write_bytes(open(key, "rb").read().replace(b"KEY-----\n", b"KEY-----\nAAAA", 1))
    with pytest.raises(Exception, match="certificate"):
        svc = ar.AgoraService(ar.AgoraServiceConfig(
            appid="sip-tls", transport_url=f"sip://127.0.0.1:0?tls_port=0&cert={cert}&key={tmp_path}/other.pem"))
        svc.release()


def tls_options(port, cafile):
    """OPTIONS over TLS from Python's ssl (OpenSSL), verifying the agent's certificate; the
    status line of the answer."""
    import socket
    import ssl
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
        local = "%s:%d" % s.getsockname()
        s.sendall((f"OPTIONS sip:agent@127.0.0.1:{port};transport=tls SIP/2.0\r\n"
                   f"Via: SIP/2.0/TLS {local};branch=z9hG4bK-opt1\r\n"
                   f"From: <sip:probe@{local}>;tag=1\r\nTo: <sip:agent@127.0.0.1>\r\n"
                   f"Call-ID: opt-1@probe\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                   f"Content-Length: 0\r\n\r\n").encode())
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n", 1)[0].decode()


def test_tls_port_survives_garbage_and_answers_options(certificate):
    """Connections that send no TLS, a broken handshake or 64 kB of junk, 60 of them: each is
    dropped; memory stays bounded and a proper TLS client still gets 200 to OPTIONS."""
    import socket
    from test_sip_hostile import rss_kb
    cert, key, _ = certificate
    svc = tls_service(cert, key)
    port = svc.sip.tls_port
    assert tls_options(port, cert) == "SIP/2.0 200 OK"
    before = rss_kb()
    junk = bytes(range(256)) * 256
    hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\xff" * 300     # a truncated, bad ClientHello
    for i in range(60):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            try:
                s.sendall((junk, hello, b"INVITE sip:agent SIP/2.0\r\n\r\n")[i % 3])
            except OSError:
                pass                      # the agent may already have closed it
    assert tls_options(port, cert) == "SIP/2.0 200 OK"
    assert svc.sip.stats()["calls"] == 0
    if "libasan" not in os.environ.get("LD_PRELOAD", ""):   # ASan's quarantine keeps freed memory
        assert rss_kb() - before < 64 * 1024
    svc.release()
