"""Password hashing with argon2id; verification never raises for a wrong password."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

log = logging.getLogger(__name__)


class Cost(enum.Enum):
    """How much work a new hash takes (PASSWORD_HASH_COST); stored hashes carry their own."""

    # OWASP's recommended minimum for argon2id (19 MiB, 2 passes, 1 lane): about 25 ms here
    # instead of the library default's 115 ms, which made every sign-in and sign-up slow;
    # guessing online is stopped by the sign-in lockout (service/auth/lockout.py).
    OWASP = "owasp"
    # Test stacks only: argon2id's smallest memory, one pass, about 0.05 ms. The acceptance
    # suite's people sign up and in by the hundred; a leaked hash of this cost is cheap to guess.
    FAST_FOR_TESTS = "fast-for-tests"


_PARAMETERS = {Cost.OWASP: (2, 19 * 1024), Cost.FAST_FOR_TESTS: (1, 8)}


@dataclass
class _Hashing:
    hasher: PasswordHasher
    # Verified against when the email is unknown or its account has no password (enterprise
    # sign-in only), so every refusal takes the time of a real check at this cost (issue 18).
    dummy: str = field(init=False)

    def __post_init__(self) -> None:
        self.dummy = self.hasher.hash("not-a-real-password")


def _hashing(cost: Cost) -> _Hashing:
    time_cost, memory_kib = _PARAMETERS[cost]
    return _Hashing(PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1))


# This process's: set once at start (use_cost), before any request.
_active = [_hashing(Cost.OWASP)]
_ARGON2 = "$argon2"


def use_cost(cost: Cost) -> None:
    """New hashes, and the check an unknown email gets, at this cost from now on."""
    if cost is not Cost.OWASP:
        log.warning("passwords are hashed at the cost %r: for tests only", cost.value)
    _active[0] = _hashing(cost)


def hash_password(password: str) -> str:
    return _active[0].hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    real = password_hash if password_hash and password_hash.startswith(_ARGON2) else None
    hashing = _active[0]
    try:
        return hashing.hasher.verify(real or hashing.dummy, password) and real is not None
    except (VerificationError, InvalidHashError):
        return False
