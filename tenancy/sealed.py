"""Secrets stored in the database, encrypted with a key derived from ``SECRET_KEY``:
`cryptography`'s Fernet (AES-128-CBC with an HMAC-SHA256 tag), its key derived per purpose
with HKDF-SHA256, so a stored value can be neither read nor altered without the server's
secret. Used for outside providers' API keys; pages never show them back.

A value sealed under another ``SECRET_KEY`` (rotated) does not open: :func:`unseal`
raises :class:`SealError` and callers treat the secret as missing.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "sealed:v2:"


class SealError(ValueError):
    """The value was not sealed here, was altered, or the server's secret changed."""


def _fernet(purpose: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"coachdesk.sealed",
               info=purpose.encode()).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(plain: str, *, purpose: str) -> str:
    return PREFIX + _fernet(purpose).encrypt(plain.encode()).decode()


def unseal(value: str, *, purpose: str) -> str:
    if not value.startswith(PREFIX):
        raise SealError("Not a sealed value.")
    try:
        return _fernet(purpose).decrypt(value[len(PREFIX):].encode()).decode()
    except (InvalidToken, UnicodeDecodeError) as error:
        raise SealError("The sealed value was altered or sealed with another secret key.") \
            from error
