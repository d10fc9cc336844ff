"""Field encryption and keyed hashes (bot.storage.crypto)."""

from __future__ import annotations

import pytest

from bot.storage.crypto import DEMO_HASH_KEY, FieldCipher, StoreKeyError, hash_key_from_setting, keyed_hash

KEY_A = FieldCipher.generate_key()
KEY_B = FieldCipher.generate_key()
TEXT = '{"note": "Fatima Benali, 06 12 34 56 78", "lang": "ar", "x": "é ع"}'


def test_round_trip_hides_the_plaintext() -> None:
    cipher = FieldCipher([KEY_A])
    token = cipher.encrypt(TEXT)
    assert "Benali" not in token and "06 12" not in token
    assert token != cipher.encrypt(TEXT)  # a fresh IV every time
    assert cipher.decrypt(token) == TEXT
    assert cipher.decrypt(token.encode()) == TEXT


def test_without_keys_text_stays_in_clear_and_encrypted_values_are_refused() -> None:
    clear = FieldCipher()
    assert not clear.encrypting
    assert clear.encrypt(TEXT) == TEXT
    assert clear.decrypt(TEXT) == TEXT
    with pytest.raises(StoreKeyError, match="STORE_ENCRYPTION_KEYS is empty"):
        clear.decrypt(FieldCipher([KEY_A]).encrypt(TEXT))


def test_rotation_moves_values_to_the_first_key() -> None:
    old = FieldCipher([KEY_A])
    token = old.encrypt(TEXT)
    both = FieldCipher.from_setting(f" {KEY_B} , {KEY_A},")
    assert both.decrypt(token) == TEXT
    assert not both.is_current(token)
    rotated = both.rotate(token)
    assert both.is_current(rotated)
    assert FieldCipher([KEY_B]).decrypt(rotated) == TEXT
    with pytest.raises(StoreKeyError, match="no configured key"):
        old.decrypt(rotated)
    # Clear values (written before keys were configured) get encrypted by a rotation.
    assert not both.is_current(TEXT)
    assert both.decrypt(both.rotate(TEXT)) == TEXT
    assert FieldCipher().is_current(TEXT)


def test_bytes_cipher_shares_the_keys() -> None:
    assert FieldCipher().bytes_cipher() is None
    writer = FieldCipher([KEY_A]).bytes_cipher()
    reader = FieldCipher([KEY_B, KEY_A]).bytes_cipher()
    assert writer is not None and reader is not None
    payload = "مرحبا Benali".encode()
    token = writer.encrypt(payload)
    assert b"Benali" not in token
    assert reader.decrypt(token) == payload
    with pytest.raises(StoreKeyError):
        FieldCipher([KEY_B]).bytes_cipher().decrypt(token)  # type: ignore[union-attr]


def test_keyed_hash_is_stable_short_and_depends_on_the_key() -> None:
    first = keyed_hash("sms:+33612345678", b"k1")
    assert first == keyed_hash("sms:+33612345678", b"k1")
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != keyed_hash("sms:+33612345678", b"k2")
    assert first != keyed_hash("sms:+33612345679", b"k1")
    assert "612345678" not in first


def test_hash_key_setting_falls_back_to_the_demo_key_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    assert hash_key_from_setting("s3cret") == b"s3cret"
    assert not caplog.records
    assert hash_key_from_setting(None) == DEMO_HASH_KEY
    assert "STORE_HASH_KEY is not set" in caplog.text
