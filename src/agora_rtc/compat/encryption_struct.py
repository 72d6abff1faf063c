"""``EncryptionConfigInner``: the C-layout form of an :class:`EncryptionConfig`
that the original exported with ``from agora.rtc.agora_base import *`` (its
samples build one to check how the salt is laid out). agora_rtc takes
``EncryptionConfig`` directly; this structure only converts both ways."""
from __future__ import annotations

import ctypes

from agora_rtc.agora_base import EncryptionConfig

SALT_BYTES = 32


class EncryptionConfigInner(ctypes.Structure):
    _fields_ = [
        ("encryption_mode", ctypes.c_int),
        ("encryption_key", ctypes.c_char_p),
        ("encryption_kdf_salt", ctypes.c_uint8 * SALT_BYTES),
        ("datastream_encryption_enabled", ctypes.c_bool),
    ]

    @staticmethod
    def create(config: EncryptionConfig) -> "EncryptionConfigInner":
        """The structure for ``config``: the key as UTF-8, the salt's first 32
        bytes (zero-filled when shorter or None)."""
        if not isinstance(config, EncryptionConfig):
            raise TypeError(f"EncryptionConfigInner.create: config must be an EncryptionConfig, "
                            f"got {type(config).__name__}")
        salt = bytes(config.encryption_kdf_salt or b"")[:SALT_BYTES]
        inner = EncryptionConfigInner()
        inner.encryption_mode = int(config.encryption_mode)
        inner.encryption_key = (config.encryption_key or "").encode("utf-8")
        inner.encryption_kdf_salt[:len(salt)] = list(salt)
        inner.datastream_encryption_enabled = bool(config.datastream_encryption_enabled)
        return inner

    def get(self) -> EncryptionConfig:
        """Back to an :class:`EncryptionConfig` (the salt as 32 bytes)."""
        return EncryptionConfig(encryption_mode=self.encryption_mode,
                                encryption_key=(self.encryption_key or b"").decode("utf-8"),
                                encryption_kdf_salt=bytearray(bytes(self.encryption_kdf_salt)),
                                datastream_encryption_enabled=bool(self.datastream_encryption_enabled))
