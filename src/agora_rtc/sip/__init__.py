"""Phone calls over SIP: a ``sip://`` transport URL makes the service a SIP user agent
(libre, in the engine) and every phone call a remote user of a channel.

* :class:`SipEndpoint` — the service's user agent: listens, dispatches calls to channels.
* :class:`PhoneLine` — a connection's side of it (``RTCConnection.phone``): the call
  filter, hang up, outbound dial.
* :class:`PhoneCall` — one call as the application sees it.

See README "Phone calls (SIP)" and docs/SIP.md.
"""

from agora_rtc.sip.call import PhoneCall
from agora_rtc.sip.endpoint import SipEndpoint
from agora_rtc.sip.line import PhoneLine

__all__ = ["PhoneCall", "PhoneLine", "SipEndpoint"]
