"""What actors do: one class per task, performed with `actor.attempts_to(...)`."""

from driver.actors.tasks.accounts import (
    SIGN_INS_SIDE_BY_SIDE,
    LoadUsage,
    SignIn,
    SignInSideBySide,
    SignUp,
    TryToSignIn,
    TryToSignUp,
)
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
from driver.actors.tasks.verification import CheckEverythingSeen

__all__ = [
    "COPIED_RENEWAL",
    "OLD_PASSWORD",
    "PREVIOUS_PASS",
    "RENEWED_TWICE_AT_ONCE",
    "RENEWED_WITH_THE_COPY",
    "SIGN_INS_SIDE_BY_SIDE",
    "SIGN_IN_ENDED_AT",
    "Ask",
    "AskAgain",
    "ChangePassword",
    "CheckEverythingSeen",
    "CloseChat",
    "ContinueLatestConversation",
    "CopyTheRenewalOf",
    "Leave",
    "LoadUsage",
    "OpenChat",
    "Reconnect",
    "ReconnectWhenAPlaceIsFree",
    "RenewThePass",
    "RenewTwiceAtOnce",
    "RenewWithTheCopy",
    "SignIn",
    "SignInOn",
    "SignInSideBySide",
    "SignOut",
    "SignOutEverywhere",
    "SignUp",
    "TakeAFreedPlace",
    "TryToAskIn",
    "TryToOpenChat",
    "TryToOpenChatFrom",
    "TryToSignIn",
    "TryToSignUp",
]
