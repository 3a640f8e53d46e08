"""Secrets stored in the database encrypted with a key derived from ``SECRET_KEY``
(standard library only): HMAC-SHA256 in counter mode as the key stream, then an
HMAC-SHA256 tag over nonce and ciphertext (encrypt-then-MAC), so a stored value can be
neither read nor altered without the server's secret. Used for the advice provider's API
key; the page never shows it back.

A value sealed under another ``SECRET_KEY`` (rotated) does not open: :func:`unseal`
raises :class:`SealError` and callers treat the secret as missing.
"""

import base64
import hashlib
import hmac
import os

from django.conf import settings

PREFIX = "sealed:v1:"
NONCE = 16
TAG = 16


class SealError(ValueError):
    """The value was not sealed here, was altered, or the server's secret changed."""


def _keys(purpose: str) -> tuple[bytes, bytes]:
    root = hashlib.sha256(f"coachdesk.sealed.{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return (hmac.new(root, b"encrypt", hashlib.sha256).digest(),
            hmac.new(root, b"authenticate", hashlib.sha256).digest())


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest()
              for i in range((length + 31) // 32))
    return b"".join(blocks)[:length]


def seal(plain: str, *, purpose: str) -> str:
    encrypt_key, mac_key = _keys(purpose)
    data = plain.encode()
    nonce = os.urandom(NONCE)
    cipher = bytes(a ^ b for a, b in zip(data, _stream(encrypt_key, nonce, len(data)),
                                         strict=True))
    tag = hmac.new(mac_key, nonce + cipher, hashlib.sha256).digest()[:TAG]
    return PREFIX + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def unseal(value: str, *, purpose: str) -> str:
    if not value.startswith(PREFIX):
        raise SealError("Not a sealed value.")
    try:
        raw = base64.urlsafe_b64decode(value[len(PREFIX):].encode())
    except ValueError as error:
        raise SealError("Not a sealed value.") from error
    if len(raw) < NONCE + TAG:
        raise SealError("Not a sealed value.")
    nonce, cipher, tag = raw[:NONCE], raw[NONCE:-TAG], raw[-TAG:]
    encrypt_key, mac_key = _keys(purpose)
    if not hmac.compare_digest(tag, hmac.new(mac_key, nonce + cipher,
                                             hashlib.sha256).digest()[:TAG]):
        raise SealError("The sealed value was altered or sealed with another secret key.")
    plain = bytes(a ^ b for a, b in zip(cipher, _stream(encrypt_key, nonce, len(cipher)),
                                        strict=True))
    try:
        return plain.decode()
    except UnicodeDecodeError as error:
        raise SealError("The sealed value does not open.") from error
