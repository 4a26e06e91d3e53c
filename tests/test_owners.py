"""Owner tokens are long and random; signed-in identities can never be named by a URL token."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rnnkit.owners import MIN_TOKEN_CHARS, identity_owner, new_token, valid_token


def test_new_tokens_are_long_random_and_valid() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) >= MIN_TOKEN_CHARS >= 22 and valid_token(t) for t in tokens)


def test_short_or_odd_url_tokens_are_refused() -> None:
    for value in ("", "tester", "0123456789abcdef", "a" * 21, "../" * 10, "user:" + "a" * 64, None, 123):
        assert not valid_token(value)


def test_the_signed_in_identity_owns_runs_only_when_logged_in() -> None:
    claims = {"is_logged_in": True, "iss": "https://accounts.google.com", "sub": "1234", "email": "a@b.org"}
    owner = identity_owner(claims)
    assert owner is not None and owner.startswith("user:") and "a@b.org" not in owner
    assert identity_owner(claims | {"email": "other@b.org"}) == owner  # the stable subject decides
    assert identity_owner(claims | {"sub": "5678"}) != owner
    assert identity_owner({"email": "a@b.org"}) is None  # no login configured: Streamlit's default user
    assert identity_owner(claims | {"is_logged_in": False}) is None


@given(st.text(max_size=200))
def test_no_url_token_can_name_a_signed_in_owner(value: str) -> None:
    assert not (valid_token(value) and value.startswith("user:"))
