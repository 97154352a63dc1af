"""Bounded waits and a circuit breaker, so a frozen dependency costs about a second."""
