"""What actors look at: one class per question, answered with `actor.asks_for(...)`."""

from driver.actors.questions.answers import (
    TheAnswer,
    TheAnswerSinceAsking,
    TheAnswerText,
    TheEvent,
    TheFirstEventSinceAsking,
    TheirOwnSpend,
    TheKindsOfEventSeen,
    WhatTheHistoryHeldOnArrival,
    answer_text,
)
from driver.actors.questions.history import (
    TheirConversations,
    TheMessages,
    TheRecordOfTheRun,
    WhatTheSearchFinds,
)
from driver.actors.questions.seen import HowTheChatWasClosed, TheErrorsSeen

__all__ = [
    "HowTheChatWasClosed",
    "TheAnswer",
    "TheAnswerSinceAsking",
    "TheAnswerText",
    "TheErrorsSeen",
    "TheEvent",
    "TheFirstEventSinceAsking",
    "TheKindsOfEventSeen",
    "TheMessages",
    "TheRecordOfTheRun",
    "TheirConversations",
    "TheirOwnSpend",
    "WhatTheHistoryHeldOnArrival",
    "WhatTheSearchFinds",
    "answer_text",
]
