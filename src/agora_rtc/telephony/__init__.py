"""Telephony: phone callers as remote users of a channel.

- :class:`TwilioMediaStreams` (twilio_endpoint): an ASGI app that answers a
  Twilio number (TwiML webhook + bidirectional Media Streams WebSocket); each
  call joins the channel as the caller's user, so the agent code written for
  browser users serves phone callers unchanged.
- :class:`TwilioCall` / :class:`TwilioCallObserver` (twilio_call): one call,
  and what telephony adds (DTMF digits, marks, hang up).
- :func:`ulaw_to_pcm16` / :func:`pcm16_to_ulaw` (mulaw): G.711 mu-law.
"""
from agora_rtc.telephony.mulaw import pcm16_to_ulaw, ulaw_to_pcm16
from agora_rtc.telephony.twilio_call import TwilioCall, TwilioCallObserver
from agora_rtc.telephony.twilio_endpoint import TwilioMediaStreams
from agora_rtc.telephony.twilio_messages import ProtocolError, StreamStart

__all__ = ["TwilioMediaStreams", "TwilioCall", "TwilioCallObserver", "StreamStart", "ProtocolError",
           "ulaw_to_pcm16", "pcm16_to_ulaw"]
