"""What actors do: one class per task, performed with `actor.attempts_to(...)`."""

from driver.actors.tasks.accounts import (
    LoadUsage,
    SignIn,
    SignUp,
    SignUpTwiceAtOnce,
    TryToSignIn,
    TryToSignUp,
)
from driver.actors.tasks.conversation import Ask, AskAgain, ContinueLatestConversation, TryToAskIn
from driver.actors.tasks.devices import (
    CloseChat,
    Leave,
    OpenChat,
    Reconnect,
    TryToOpenChat,
    TryToOpenChatFrom,
)
from driver.actors.tasks.verification import CheckEverythingSeen

__all__ = [
    "Ask",
    "AskAgain",
    "CheckEverythingSeen",
    "CloseChat",
    "ContinueLatestConversation",
    "Leave",
    "LoadUsage",
    "OpenChat",
    "Reconnect",
    "SignIn",
    "SignUp",
    "SignUpTwiceAtOnce",
    "TryToAskIn",
    "TryToOpenChat",
    "TryToOpenChatFrom",
    "TryToSignIn",
    "TryToSignUp",
]
