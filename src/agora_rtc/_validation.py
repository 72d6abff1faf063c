"""Old import path of the call-argument checks, kept so existing imports keep
working; the checks live in :mod:`agora_rtc.base.checks` (the one set)."""
from agora_rtc.base.checks import (MAX_ID_BYTES, as_payload, check_choice, check_id,  # noqa: F401
                                   check_int, check_user_id)
