"""What actors look at: one class per question, answered with `actor.asks_for(...)`."""

from driver.actors.questions.answers import (
    TheAnswer,
    TheAnswerSinceAsking,
    TheAnswerText,
    TheEvent,
    TheFirstEventSinceAsking,
    TheKindsOfEventSeen,
    WhatTheHistoryHeldOnArrival,
    answer_text,
)
from driver.actors.questions.crowd import (
    HowTheirQuestionEnded,
    Stored,
    TheWaitsOfTheirQuestion,
    Waits,
    WhatWasStoredForThem,
    WhichOfTheirChatsAreSilent,
)
from driver.actors.questions.history import (
    TheirConversations,
    TheMessages,
    TheRecordOfTheRun,
    WhatTheSearchFinds,
)
from driver.actors.questions.notes import TheNoted
from driver.actors.questions.reading import (
    HowMuchOfHerReadingWasWhileTheyWaited,
)
from driver.actors.questions.seen import HowTheChatWasClosed, TheErrorsSeen, WhatTheDeviceGotWrong
from driver.actors.questions.sessions import (
    Closed,
    HowTheServiceClosed,
    ThePass,
    WhatARenewalGets,
    WhatStillWorks,
    WhenTheEndedPassIsLetIn,
)
from driver.actors.questions.sign_in import HowTheirSignInAnswersDiffer
from driver.actors.questions.waiting import (
    HowManyTakenWereAnswered,
    HowManyWereRefusedAsBusy,
    HowManyWereTaken,
    TheirTimeInLine,
    ThePlaceInLine,
    TheRefusal,
    TheRefusals,
    TimeInLine,
    WhetherTheyAreAnswered,
)

__all__ = [
    "Closed",
    "HowManyTakenWereAnswered",
    "HowManyWereRefusedAsBusy",
    "HowManyWereTaken",
    "HowMuchOfHerReadingWasWhileTheyWaited",
    "HowTheChatWasClosed",
    "HowTheServiceClosed",
    "HowTheirQuestionEnded",
    "HowTheirSignInAnswersDiffer",
    "Stored",
    "TheAnswer",
    "TheAnswerSinceAsking",
    "TheAnswerText",
    "TheErrorsSeen",
    "TheEvent",
    "TheFirstEventSinceAsking",
    "TheKindsOfEventSeen",
    "TheMessages",
    "TheNoted",
    "ThePass",
    "ThePlaceInLine",
    "TheRecordOfTheRun",
    "TheRefusal",
    "TheRefusals",
    "TheWaitsOfTheirQuestion",
    "TheirConversations",
    "TheirTimeInLine",
    "TimeInLine",
    "Waits",
    "WhatARenewalGets",
    "WhatStillWorks",
    "WhatTheDeviceGotWrong",
    "WhatTheHistoryHeldOnArrival",
    "WhatTheSearchFinds",
    "WhatWasStoredForThem",
    "WhenTheEndedPassIsLetIn",
    "WhetherTheyAreAnswered",
    "WhichOfTheirChatsAreSilent",
    "answer_text",
]
