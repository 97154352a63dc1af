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
from driver.actors.interactions.page import (
    CaughtUpOnItsOwn,
    Includes,
    IsSignedInAsThemselves,
    IsSignedOut,
    KeepsNothingReadable,
    NeverSaidSignedOut,
    ShowsEveryKindOfProgressInOrder,
    ShowsHerQuestionThenTheAnswer,
)
from driver.actors.interactions.see import See, StatesTheirOwnSpend

__all__ = [
    "CaughtUpOnItsOwn",
    "DeclinesPolitely",
    "HasTheSameFiguresAsTheFirstTime",
    "HoldsOnlyTheAssistantsFigures",
    "Includes",
    "IsAboutTheFeatureOnly",
    "IsEqualTo",
    "IsSignedInAsThemselves",
    "IsSignedOut",
    "IsTheComputedReportAlone",
    "KeepsItsWordsOnAISpend",
    "KeepsNothingReadable",
    "NamesTheCostliest",
    "NeverSaidSignedOut",
    "See",
    "ShowsEveryKindOfProgressInOrder",
    "ShowsHerQuestionThenTheAnswer",
    "StatesTheSavings",
    "StatesTheTotal",
    "StatesTheirOwnSpend",
    "StatesWhatEachFeatureCosts",
]
