"""agora_rtc.rtm: the original SDK's RTM client (``agora.rtm``: create_rtm_client,
RTMClient, IRtmEventHandler and its records) on agora_rtc's in-process network
(see agora_rtc.rtm.client)."""
from agora_rtc.rtm import base as _base
from agora_rtc.rtm.base import *  # noqa: F401,F403
from agora_rtc.rtm.client import RTMClient, create_rtm_client  # noqa: F401

__all__ = sorted([name for name, value in vars(_base).items()
                  if getattr(value, "__module__", None) == _base.__name__
                  or (name.isupper() and isinstance(value, int))]
                 + ["RTMClient", "create_rtm_client"])
