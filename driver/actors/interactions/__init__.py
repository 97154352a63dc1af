"""What an actor does to check what they see (screenpy's `See` with a resolution): the one place
a question's answer is held to something. Questions only return values; a step that expects
something says `await alice.should(See(TheAnswerText(15), StatesTheirOwnSpend()))`."""

from driver.actors.interactions.answers import (
    DeclinesPolitely,
    HasTheSameFiguresAsTheFirstTime,
    HoldsOnlyTheAssistantsFigures,
    IsAboutTheFeatureOnly,
    IsTheComputedReportAlone,
    KeepsItsWordsOnAISpend,
    NamesTheCostliest,
    StatesTheSavings,
    StatesTheTotal,
    StatesWhatEachFeatureCosts,
)
from driver.actors.interactions.equality import IsEqualTo
from driver.actors.interactions.see import See, StatesTheirOwnSpend

__all__ = [
    "DeclinesPolitely",
    "HasTheSameFiguresAsTheFirstTime",
    "HoldsOnlyTheAssistantsFigures",
    "IsAboutTheFeatureOnly",
    "IsEqualTo",
    "IsTheComputedReportAlone",
    "KeepsItsWordsOnAISpend",
    "NamesTheCostliest",
    "See",
    "StatesTheSavings",
    "StatesTheTotal",
    "StatesTheirOwnSpend",
    "StatesWhatEachFeatureCosts",
]
