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
from driver.actors.questions.attempts import TheExplanationsUntilClosed, WhatReachedThemOf
from driver.actors.questions.history import (
    TheirConversations,
    TheMessages,
    TheRecordOfTheRun,
    WhatTheSearchFinds,
)
from driver.actors.questions.notes import TheNoted
from driver.actors.questions.seen import HowTheChatWasClosed, TheErrorsSeen, WhatTheDeviceGotWrong
from driver.actors.questions.sessions import (
    Closed,
    HowTheServiceClosed,
    ThePass,
    TheRenewalsAtOnce,
    WhatARenewalGets,
    WhatStillWorks,
    WhenTheEndedPassIsLetIn,
)
from driver.actors.questions.sign_in import HowTheirSignInAnswersDiffer

__all__ = [
    "Closed",
    "HowTheChatWasClosed",
    "HowTheServiceClosed",
    "HowTheirSignInAnswersDiffer",
    "TheAnswer",
    "TheAnswerSinceAsking",
    "TheAnswerText",
    "TheErrorsSeen",
    "TheEvent",
    "TheExplanationsUntilClosed",
    "TheFirstEventSinceAsking",
    "TheKindsOfEventSeen",
    "TheMessages",
    "TheNoted",
    "ThePass",
    "TheRecordOfTheRun",
    "TheRenewalsAtOnce",
    "TheirConversations",
    "WhatARenewalGets",
    "WhatReachedThemOf",
    "WhatStillWorks",
    "WhatTheDeviceGotWrong",
    "WhatTheHistoryHeldOnArrival",
    "WhatTheSearchFinds",
    "WhenTheEndedPassIsLetIn",
    "answer_text",
]
