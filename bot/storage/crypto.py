"""Field-level encryption and keyed hashes shared by the stores.

Serialized states, cases and records are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) through
`MultiFernet`, so keys can be rotated: the first key encrypts, every key decrypts. Identifiers that
may hold a phone number or a chat id are looked up through an HMAC-SHA256, never kept in clear
in key names.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import zlib
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

logger = logging.getLogger(__name__)

# Every Fernet token starts with the version byte 0x80, "gAAAAA" once base64-encoded; stored JSON
# starts with "{" or "[": the two forms never collide.
_TOKEN_START = "gAAAAA"

# Used only when STORE_HASH_KEY is unset (the laptop demo): hashes still hide the ids from a
# casual look, but anyone with this source can test guesses, so production must set a key.
DEMO_HASH_KEY = b"triage-demo-hash-key-not-secret"


class StoreKeyError(RuntimeError):
    """Stored data cannot be read with the configured keys."""


class FieldCipher:
    """Encrypts text fields with the current key; decrypts with any configured key.

    Without keys it stores text in clear (the laptop demo). Clear values already stored are still
    read when keys are added, and `rotate` encrypts them.
    """

    def __init__(self, keys: Sequence[str | bytes] = ()) -> None:
        self._fernets = [Fernet(key) for key in keys]
        self._fernet = MultiFernet(self._fernets) if keys else None

    @classmethod
    def from_setting(cls, text: str) -> FieldCipher:
        """`STORE_ENCRYPTION_KEYS`: comma-separated Fernet keys, the current one first."""
        return cls([key.strip() for key in text.split(",") if key.strip()])

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode("ascii")

    @property
    def encrypting(self) -> bool:
        return self._fernet is not None

    def bytes_cipher(self) -> BytesCipher | None:
        """The same keys for bytes payloads (queued messages); None when not encrypting."""
        return BytesCipher(self._fernet) if self._fernet is not None else None

    def encrypt(self, plaintext: str) -> str:
        if self._fernet is None:
            return plaintext
        # JSON compresses to about a third; compressing first keeps Redis memory per conversation low.
        return self._fernet.encrypt(zlib.compress(plaintext.encode("utf-8"))).decode("ascii")

    def decrypt(self, stored: str | bytes) -> str:
        text = stored.decode("utf-8") if isinstance(stored, bytes) else stored
        if not text.startswith(_TOKEN_START):
            return text
        if self._fernet is None:
            raise StoreKeyError("the store holds encrypted data but STORE_ENCRYPTION_KEYS is empty")
        try:
            return zlib.decompress(self._fernet.decrypt(text.encode("ascii"))).decode("utf-8")
        except InvalidToken:
            raise StoreKeyError(
                "no configured key decrypts this value (a key was dropped too early?)"
            ) from None

    def rotate(self, stored: str | bytes) -> str:
        """The value encrypted with the current key (clear values get encrypted)."""
        return self.encrypt(self.decrypt(stored))

    def is_current(self, stored: str | bytes) -> bool:
        """Whether `rotate` would leave the value as it is (saves rewriting it)."""
        text = stored.decode("utf-8") if isinstance(stored, bytes) else stored
        if self._fernet is None:
            return not text.startswith(_TOKEN_START)
        if not text.startswith(_TOKEN_START):
            return False
        try:
            self._fernets[0].decrypt(text.encode("ascii"))
        except InvalidToken:
            return False
        return True


class BytesCipher:
    """Bytes in, Fernet token out (no compression): for queue payloads (`bot.queue.Cipher`)."""

    def __init__(self, fernet: MultiFernet) -> None:
        self._fernet = fernet

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, data: bytes) -> bytes:
        try:
            return self._fernet.decrypt(data)
        except InvalidToken:
            raise StoreKeyError("no configured key decrypts this payload") from None


def keyed_hash(value: str, key: bytes) -> str:
    """HMAC-SHA256 of an identifier, 128 bits in hex: short keys, no collision in practice."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def hash_key_from_setting(text: str | None) -> bytes:
    """`STORE_HASH_KEY`, or the demo key (with a warning) when unset."""
    if text:
        return text.encode("utf-8")
    logger.warning("STORE_HASH_KEY is not set: identifiers are hashed with a public demo key")
    return DEMO_HASH_KEY
