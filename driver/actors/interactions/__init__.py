"""What an actor does to check what they see (screenpy's `See` with a resolution): the one place
a question's answer is held to something. Questions only return values; a step that expects
something says `await alice.should(See(TheAnswerText(15), StatesTheirOwnSpend()))`."""

from driver.actors.interactions.everyone import SeeEveryone
from driver.actors.interactions.figures import (
    OPEN_CHATS,
    PLACES,
    FigureReads,
    GrewBy,
    GrewInAllBy,
    NoDatabaseConnectionBeyondIdle,
    NothingLeft,
    WhileTheyWereThere,
    nothing_held,
)
from driver.actors.interactions.outages import (
    AllAtMostLongerThanUsual,
    AnAnswer,
    ARunErrorInvitingToAskAgain,
    ConfirmedOnlyAfter,
    EachPartAtMostLongerThanUsual,
    EachPartWithin,
    NotReadyAndStillRunning,
    OpenedAtLast,
    OpenedEveryTime,
    OpenedOrToldToTryAgain,
    ReadyAtOnce,
    ReadyWith,
    SaidNotReadyEachTime,
    ToldEachTimeToTryAgain,
)
from driver.actors.interactions.redeploys import (
    CameBackAfterEachRestart,
    EachAnsweredOnce,
    HoldsEachQuestionAndAnswerOnce,
)
from driver.actors.interactions.see import See, StatesTheirOwnSpend

__all__ = [
    "OPEN_CHATS",
    "PLACES",
    "ARunErrorInvitingToAskAgain",
    "AllAtMostLongerThanUsual",
    "AnAnswer",
    "CameBackAfterEachRestart",
    "ConfirmedOnlyAfter",
    "EachAnsweredOnce",
    "EachPartAtMostLongerThanUsual",
    "EachPartWithin",
    "FigureReads",
    "GrewBy",
    "GrewInAllBy",
    "HoldsEachQuestionAndAnswerOnce",
    "NoDatabaseConnectionBeyondIdle",
    "NotReadyAndStillRunning",
    "NothingLeft",
    "OpenedAtLast",
    "OpenedEveryTime",
    "OpenedOrToldToTryAgain",
    "ReadyAtOnce",
    "ReadyWith",
    "SaidNotReadyEachTime",
    "See",
    "SeeEveryone",
    "StatesTheirOwnSpend",
    "ToldEachTimeToTryAgain",
    "WhileTheyWereThere",
    "nothing_held",
]
