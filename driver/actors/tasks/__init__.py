"""What actors do: one class per task, performed with `actor.attempts_to(...)`."""

from driver.actors.actor import DEFAULT_DEVICE
from driver.actors.tasks.accounts import (
    SIGN_INS_SIDE_BY_SIDE,
    LoadUsage,
    SignIn,
    SignInSideBySide,
    SignUp,
    SignUpTwiceAtOnce,
    TryToSignIn,
    TryToSignUp,
)
from driver.actors.tasks.again import FIRST_ANSWER, AskTheSameAgain
from driver.actors.tasks.conversation import Ask, AskAgain, ContinueLatestConversation, TryToAskIn
from driver.actors.tasks.devices import (
    CloseChat,
    Leave,
    OpenChat,
    Reconnect,
    ReconnectWhenAPlaceIsFree,
    TakeAFreedPlace,
    TryToOpenChat,
    TryToOpenChatFrom,
)

# Last: sessions' questions use tasks above (through the probe).
from driver.actors.tasks.garbled import GARBLED_MESSAGES, SendGarbledMessages
from driver.actors.tasks.limits import (
    CAUGHT_UP,
    CHATS_OPENED,
    SPREAD_FLOOD,
    AskOnEveryChatAtOnce,
    CatchUpOnUnknownRuns,
    OpenMoreChats,
    TryToOpenOneMoreChat,
)
from driver.actors.tasks.sessions import (
    COPIED_RENEWAL,
    OLD_PASSWORD,
    PREVIOUS_PASS,
    RENEWED_TWICE_AT_ONCE,
    RENEWED_WITH_THE_COPY,
    SIGN_IN_ENDED_AT,
    ChangePassword,
    CopyTheRenewalOf,
    RenewThePass,
    RenewTwiceAtOnce,
    RenewWithTheCopy,
    SignInOn,
    SignOut,
    SignOutEverywhere,
)
from driver.actors.tasks.usage import LoadAMonthOfUsage, LoadUsageByDay, LoadUsageOfLastMonth
from driver.actors.tasks.verification import CheckEverythingSeen

__all__ = [
    "CAUGHT_UP",
    "CHATS_OPENED",
    "COPIED_RENEWAL",
    "DEFAULT_DEVICE",
    "FIRST_ANSWER",
    "GARBLED_MESSAGES",
    "OLD_PASSWORD",
    "PREVIOUS_PASS",
    "RENEWED_TWICE_AT_ONCE",
    "RENEWED_WITH_THE_COPY",
    "SIGN_INS_SIDE_BY_SIDE",
    "SIGN_IN_ENDED_AT",
    "SPREAD_FLOOD",
    "Ask",
    "AskAgain",
    "AskOnEveryChatAtOnce",
    "AskTheSameAgain",
    "CatchUpOnUnknownRuns",
    "ChangePassword",
    "CheckEverythingSeen",
    "CloseChat",
    "ContinueLatestConversation",
    "CopyTheRenewalOf",
    "Leave",
    "LoadAMonthOfUsage",
    "LoadUsage",
    "LoadUsageByDay",
    "LoadUsageOfLastMonth",
    "OpenChat",
    "OpenMoreChats",
    "Reconnect",
    "ReconnectWhenAPlaceIsFree",
    "RenewThePass",
    "RenewTwiceAtOnce",
    "RenewWithTheCopy",
    "SendGarbledMessages",
    "SignIn",
    "SignInOn",
    "SignInSideBySide",
    "SignOut",
    "SignOutEverywhere",
    "SignUp",
    "SignUpTwiceAtOnce",
    "TakeAFreedPlace",
    "TryToAskIn",
    "TryToOpenChat",
    "TryToOpenChatFrom",
    "TryToOpenOneMoreChat",
    "TryToSignIn",
    "TryToSignUp",
]
