"""Password hashing with argon2id; verification never raises for a wrong password."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's recommended minimum for argon2id (19 MiB, 2 passes, 1 lane): about 25 ms here instead
# of the library default's 115 ms, which made every sign-in and sign-up slow; guessing online is
# stopped by the sign-in lockout (service/auth/lockout.py). Stored hashes carry their own
# parameters.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the email is unknown or its account has no password (enterprise
# sign-in only), so every refusal takes the time of a real check (issue 18).
_DUMMY_HASH = _hasher.hash("not-a-real-password")
_ARGON2 = "$argon2"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    real = password_hash if password_hash and password_hash.startswith(_ARGON2) else None
    try:
        return _hasher.verify(real or _DUMMY_HASH, password) and real is not None
    except (VerificationError, InvalidHashError):
        return False
