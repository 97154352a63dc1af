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
from driver.actors.questions.history import (
    TheirConversations,
    TheMessages,
    TheRecordOfTheRun,
    WhatTheSearchFinds,
)
from driver.actors.questions.notes import TheNoted
from driver.actors.questions.operations import TheFigures, TheFiguresOnceTheyShow, WhatIsStillHeld
from driver.actors.questions.readiness import (
    CACHE_DEGRADED,
    HEALTHY,
    TheFirstReadinessAnswer,
    TheReadiness,
    TheReadinessAnswersBetween,
    TheReadinessOnceReady,
    WhatTheStartingServerSays,
)
from driver.actors.questions.redeploys import TheConversationTheyKeptAsking
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

__all__ = [
    "CACHE_DEGRADED",
    "HEALTHY",
    "Closed",
    "HowTheChatWasClosed",
    "HowTheServiceClosed",
    "HowTheirSignInAnswersDiffer",
    "TheAnswer",
    "TheAnswerSinceAsking",
    "TheAnswerText",
    "TheConversationTheyKeptAsking",
    "TheErrorsSeen",
    "TheEvent",
    "TheFigures",
    "TheFiguresOnceTheyShow",
    "TheFirstEventSinceAsking",
    "TheFirstReadinessAnswer",
    "TheKindsOfEventSeen",
    "TheMessages",
    "TheNoted",
    "ThePass",
    "TheReadiness",
    "TheReadinessAnswersBetween",
    "TheReadinessOnceReady",
    "TheRecordOfTheRun",
    "TheirConversations",
    "WhatARenewalGets",
    "WhatIsStillHeld",
    "WhatStillWorks",
    "WhatTheDeviceGotWrong",
    "WhatTheHistoryHeldOnArrival",
    "WhatTheSearchFinds",
    "WhatTheStartingServerSays",
    "WhenTheEndedPassIsLetIn",
    "answer_text",
]
