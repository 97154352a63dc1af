"""What an actor does to check what they see (screenpy's `See` with a resolution): the one place
a question's answer is held to something. Questions only return values; a step that expects
something says `await alice.should(See(TheAnswerText(15), StatesTheirOwnSpend()))`."""

from driver.actors.interactions.attempts import CutOffForFlooding, EachExplainedInTurn
from driver.actors.interactions.see import See, StatesTheirOwnSpend

__all__ = [
    "CutOffForFlooding",
    "EachExplainedInTurn",
    "See",
    "StatesTheirOwnSpend",
]
