"""Who owns a run: a random token for anonymous use, or the signed-in identity when auth is on.

Anonymous browser tabs get a long random token (kept in the URL as ``?u=``), a
bearer key for their runs. When the dashboard's OpenID Connect login is
configured, the owner is derived from the signed-in identity instead, and a
token from a URL can never name it: identity owners contain a ``:``, which no
accepted token does. The run store keeps only a hash of either.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from typing import Any

TOKEN_BYTES = 24  # 32 URL-safe characters: 192 random bits
MIN_TOKEN_CHARS = 22  # 128 bits, the least a token from a URL may carry
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{MIN_TOKEN_CHARS},128}}")
IDENTITY_PREFIX = "user:"


def new_token() -> str:
    """A fresh anonymous owner token from the operating system's secure random source."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def valid_token(value: object) -> bool:
    """Whether ``value`` (say, from a URL) is long and plain enough to be an owner token."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def identity_owner(user: Mapping[str, Any]) -> str | None:
    """The owner for a signed-in OIDC user (``st.user``), or None when nobody is signed in.

    Built from the issuer and the subject (the provider's stable user id), or the
    e-mail address when the provider gives no subject, hashed so no address is stored.
    """
    if user.get("is_logged_in") is not True:
        return None
    subject = user.get("sub") or user.get("email")
    if not subject:
        return None
    digest = hashlib.sha256(f"{user.get('iss', '')}\n{subject}".encode()).hexdigest()
    return IDENTITY_PREFIX + digest


def auth_configured(user: Mapping[str, Any]) -> bool:
    """Streamlit adds ``is_logged_in`` to ``st.user`` only when an ``[auth]`` section is configured."""
    return "is_logged_in" in user
