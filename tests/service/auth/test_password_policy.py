"""The rules a new password must follow (service/auth/password_policy.py)."""

from __future__ import annotations

import pytest

from service.auth.password_policy import check_new_password
from service.errors import InvalidRequest


@pytest.mark.parametrize(
    ("password", "said"),
    [
        ("Xk3#qz9", "at least 8 characters"),
        ("PassWord123", "most common passwords"),
        ("zzzzzzzzzz", "one character repeated"),
        ("alice.smith@example.com!", "must not contain your email address"),
        ("xx-Alice.Smith-yy", "must not contain your email address"),
    ],
)
def test_weak_passwords_are_refused_saying_why(password: str, said: str) -> None:
    with pytest.raises(InvalidRequest, match=said):
        check_new_password(password, email="alice.smith@example.com")


def test_a_strong_password_passes() -> None:
    check_new_password("Alice has a long password", email="alice.smith@example.com")
