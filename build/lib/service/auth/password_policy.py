"""What a new password must be: long enough, not a well-known one, not containing the account's
own email address, not one character over and over. Checked at sign-up and at a password
change; each refusal says which rule it broke, so the person can pick a better one."""

from __future__ import annotations

from service.errors import InvalidRequest

MIN_PASSWORD_CHARS = 8
# The most used passwords of the public breach lists (lower case, 8 characters or more): the
# first ones an attacker tries, so the lockout's five guesses would often be enough.
_COMMON = frozenset(
    {
        "password",
        "password1",
        "password12",
        "password123",
        "passw0rd",
        "12345678",
        "123456789",
        "1234567890",
        "11111111",
        "87654321",
        "qwertyuiop",
        "qwerty123",
        "1q2w3e4r",
        "iloveyou",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "welcome1",
        "letmein1",
        "abc12345",
        "trustno1",
        "superman",
        "starwars",
        "whatever",
        "changeme",
    }
)


def check_new_password(password: str, *, email: str, field: str = "password") -> None:
    """Raise `InvalidRequest` naming the rule a new password breaks; return if it is fine."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidRequest(f"{field} must have at least {MIN_PASSWORD_CHARS} characters")
    folded = password.casefold()
    if folded in _COMMON:
        raise InvalidRequest(f"{field} is one of the most common passwords: choose another")
    if len(set(folded)) == 1:
        raise InvalidRequest(f"{field} must not be one character repeated")
    local = email.casefold().partition("@")[0]
    if any(len(part) >= 4 and part in folded for part in (email.casefold(), local)):
        raise InvalidRequest(f"{field} must not contain your email address")
