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
from driver.actors.questions.page import (
    HowTheBrowserCaughtUp,
    TheAnswerInTheBrowser,
    TheConversationInTheBrowser,
    TheProgressInTheBrowser,
    WhatScriptsOnThePageCanRead,
    WhatTheBrowserShows,
)
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
from driver.actors.questions.stages import (
    ANSWER_STAGE,
    TheLongestPause,
    TheStagesSeen,
    TheStepsSeenOverEveryConnection,
    TheToolAttempts,
    WhatTheAssistantThought,
    WhatTheToolSaid,
)

__all__ = [
    "ANSWER_STAGE",
    "CACHE_DEGRADED",
    "HEALTHY",
    "Closed",
    "HowTheBrowserCaughtUp",
    "HowTheChatWasClosed",
    "HowTheServiceClosed",
    "HowTheirSignInAnswersDiffer",
    "TheAnswer",
    "TheAnswerInTheBrowser",
    "TheAnswerSinceAsking",
    "TheAnswerText",
    "TheConversationInTheBrowser",
    "TheConversationTheyKeptAsking",
    "TheErrorsSeen",
    "TheEvent",
    "TheFigures",
    "TheFiguresOnceTheyShow",
    "TheFirstEventSinceAsking",
    "TheFirstReadinessAnswer",
    "TheKindsOfEventSeen",
    "TheLongestPause",
    "TheMessages",
    "TheNoted",
    "ThePass",
    "TheProgressInTheBrowser",
    "TheReadiness",
    "TheReadinessAnswersBetween",
    "TheReadinessOnceReady",
    "TheRecordOfTheRun",
    "TheStagesSeen",
    "TheStepsSeenOverEveryConnection",
    "TheToolAttempts",
    "TheirConversations",
    "WhatARenewalGets",
    "WhatIsStillHeld",
    "WhatScriptsOnThePageCanRead",
    "WhatStillWorks",
    "WhatTheAssistantThought",
    "WhatTheBrowserShows",
    "WhatTheDeviceGotWrong",
    "WhatTheHistoryHeldOnArrival",
    "WhatTheSearchFinds",
    "WhatTheStartingServerSays",
    "WhatTheToolSaid",
    "WhenTheEndedPassIsLetIn",
    "answer_text",
]
