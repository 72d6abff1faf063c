"""A phone call as the application sees it (immutable facts plus its state)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PhoneCall", "CODEC_NAMES"]

#: agora_rtc/rtp_transport.h AGORA_RTP_AUDIO_* -> SDP encoding name
CODEC_NAMES = {0: "opus", 1: "PCMU", 2: "PCMA", 3: "G722"}
#: SRTP suite (tag bits) -> its SDES name
SRTP_SUITE_NAMES = {80: "AES_CM_128_HMAC_SHA1_80", 32: "AES_CM_128_HMAC_SHA1_32"}


@dataclass
class PhoneCall:
    """One call of a :class:`~agora_rtc.sip.PhoneLine`.

    Attributes
    ----------
    call_id : int
        The SIP agent's id of the call.
    direction : str
        ``"inbound"`` (a phone called the channel) or ``"outbound"`` (:meth:`PhoneLine.dial`).
    remote_user : str
        The remote user id of the caller / callee in the channel: the From user of an
        inbound call (the phone number or SIP user), the request URI's user of an outbound one.
    called_user : str
        The request URI's user part of an inbound call (the channel it reached).
    codec : str
        ``"PCMU"``, ``"PCMA"``, ``"G722"`` or ``"opus"`` once the media is agreed, else ``""``.
    state : str
        ``"ringing"``, ``"up"`` or ``"ended"``.
    status : int
        The SIP status the call ended with (0: a BYE, or still going).
    reason : str
        Why it ended (``"BYE"``, ``"hung up"``, a reason phrase).
    on_hold : bool
        The phone put the call on hold (a re-INVITE with sendonly / inactive media).
    early_media : bool
        The media flows before the call is answered (183 with SDP): an outbound call's
        callee sent it, or the call filter of an inbound call asked for it
        (:meth:`PhoneLine.start_early_media`); the remote user joined the channel then
        (on_user_joined), ``state`` still ``"ringing"``.
    transfer_status : int
        The phone's answer to :meth:`PhoneLine.transfer` (202: accepted), 0 before.
    srtp : str
        The SRTP suite protecting the call's media (``"AES_CM_128_HMAC_SHA1_80"`` or
        ``"_32"``, SDES keys), ``""`` for plain RTP.
    """

    call_id: int
    direction: str
    remote_user: str
    called_user: str = ""
    codec: str = ""
    state: str = "ringing"
    status: int = 0
    reason: str = ""
    on_hold: bool = False
    transfer_status: int = 0
    early_media: bool = False
    srtp: str = ""
    _closing: bool = field(default=False, init=False, repr=False, compare=False)   # PhoneLine._close_call ran
