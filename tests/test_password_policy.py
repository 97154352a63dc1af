"""The rules a new password must follow (service/password_policy.py)."""

from __future__ import annotations

import pytest

from service.errors import InvalidRequest
from service.password_policy import check_new_password


@pytest.mark.parametrize(
    ("password", "said"),
    [
        ("Xk3#qz9", "at least 8 characters"),
        ("PassWord123", "most common passwords"),
        ("zzzzzzzzzz", "one character repeated"),
        ("alice.smith@example.com!", "email address or name"),
        ("xx-alice.smith-yy", "email address or name"),
        ("i-am-Alice Smith", "email address or name"),
    ],
)
def test_weak_passwords_are_refused_saying_why(password: str, said: str) -> None:
    with pytest.raises(InvalidRequest, match=said):
        check_new_password(password, email="alice.smith@example.com", name="Alice Smith")


def test_a_strong_password_passes() -> None:
    check_new_password("correct horse battery", email="alice.smith@example.com", name="Alice")
