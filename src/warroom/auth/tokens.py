"""Token generation and hashing (pure).

Tokens carry 256 bits of randomness, so a fast SHA-256 is the right hash: a slow
password hash would only slow every request without adding protection.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "wr_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
