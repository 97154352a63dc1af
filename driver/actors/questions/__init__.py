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
from driver.actors.questions.delivery import (
    CATCH_UP_RUN,
    Replay,
    SeenAndKept,
    TheAnswerOn,
    TheAnswersMissingOn,
    TheCatchUpOn,
    TheEventOfTool,
    TheRecordBesideWhatTheySaw,
    TheServerOf,
    TheStepsNotOnceInOrderOn,
    TheStepsSeenOn,
    TheStepsSentAfterCatchingUp,
)
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
    WhatARenewalGets,
    WhatStillWorks,
    WhenTheEndedPassIsLetIn,
)
from driver.actors.questions.sign_in import HowTheirSignInAnswersDiffer

__all__ = [
    "CATCH_UP_RUN",
    "Closed",
    "HowTheChatWasClosed",
    "HowTheServiceClosed",
    "HowTheirSignInAnswersDiffer",
    "Replay",
    "SeenAndKept",
    "TheAnswer",
    "TheAnswerOn",
    "TheAnswerSinceAsking",
    "TheAnswerText",
    "TheAnswersMissingOn",
    "TheCatchUpOn",
    "TheErrorsSeen",
    "TheEvent",
    "TheEventOfTool",
    "TheFirstEventSinceAsking",
    "TheKindsOfEventSeen",
    "TheMessages",
    "TheNoted",
    "ThePass",
    "TheRecordBesideWhatTheySaw",
    "TheRecordOfTheRun",
    "TheServerOf",
    "TheStepsNotOnceInOrderOn",
    "TheStepsSeenOn",
    "TheStepsSentAfterCatchingUp",
    "TheirConversations",
    "WhatARenewalGets",
    "WhatStillWorks",
    "WhatTheDeviceGotWrong",
    "WhatTheHistoryHeldOnArrival",
    "WhatTheSearchFinds",
    "WhenTheEndedPassIsLetIn",
    "answer_text",
]
