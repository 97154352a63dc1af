"""service/auth/passwords.py: the cost of a new hash is a setting; stored hashes keep theirs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.auth import passwords
from service.auth.passwords import Cost, hash_password, use_cost, verify_password


@pytest.fixture(autouse=True)
def owasp_again() -> Iterator[None]:
    yield
    use_cost(Cost.OWASP)


def test_the_default_cost_is_owasps_minimum() -> None:
    assert "$m=19456,t=2,p=1$" in hash_password("correct horse battery")


def test_a_test_stacks_hashes_are_cheap_and_still_checked() -> None:
    use_cost(Cost.FAST_FOR_TESTS)
    made = hash_password("correct horse battery")
    assert "$m=8,t=1,p=1$" in made
    assert verify_password(made, "correct horse battery")
    assert not verify_password(made, "wrong horse battery")
    assert not verify_password(None, "correct horse battery")  # the dummy check, at this cost
    assert "$m=8,t=1,p=1$" in passwords._active[0].dummy


def test_a_hash_made_at_one_cost_is_checked_at_its_own_under_another() -> None:
    made = hash_password("correct horse battery")
    use_cost(Cost.FAST_FOR_TESTS)
    assert verify_password(made, "correct horse battery")
