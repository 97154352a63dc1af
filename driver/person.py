"""The name fixtures/ (faults, crowds, browsing) still import for an actor; the people of the
suite are `driver.actors` now. Delete once those modules import `driver.actors.actor.Actor`."""

from driver.actors.actor import DEFAULT_DEVICE, Actor

Person = Actor

__all__ = ["DEFAULT_DEVICE", "Person"]
