"""The chat web page, in a real browser (@ui): each step one call on the person's browser."""

from __future__ import annotations

from driver.actors.interactions import (
    CaughtUpOnItsOwn,
    Includes,
    IsAboutTheFeatureOnly,
    IsEqualTo,
    IsSignedInAsThemselves,
    IsSignedOut,
    KeepsNothingReadable,
    NeverSaidSignedOut,
    See,
    ShowsEveryKindOfProgressInOrder,
    ShowsHerQuestionThenTheAnswer,
    StatesTheSavings,
    StatesTheTotal,
)
from driver.actors.questions import (
    HowTheBrowserCaughtUp,
    TheAnswerInTheBrowser,
    TheConversationInTheBrowser,
    TheNoted,
    TheProgressInTheBrowser,
    WhatScriptsOnThePageCanRead,
    WhatTheBrowserShows,
)
from driver.actors.tasks import (
    FOUND_IN_THE_BROWSER,
    SIGN_IN_SHOWN,
    SIGNED_OUT_AT,
    AskInTheBrowser,
    AskInTheBrowserForTheAnswer,
    AskInTheBrowserOnceThePassIsRenewed,
    AskInTheBrowserUntilItRuns,
    LoadTheUsageFileInTheBrowser,
    LoseTheBrowsersConnection,
    OpenASecondTab,
    OpenTheConversationInTheBrowser,
    ReloadThePage,
    SaveUsageFile,
    SearchInTheBrowser,
    SignInInTheBrowser,
    SignOutInTheBrowser,
    SignUpInTheBrowser,
)
from fixtures import security
from fixtures.context import ScenarioContext, given, then, when

ANSWER_TIMEOUT_S = 15.0
PASS_RENEWAL_TIMEOUT_S = 10.0
NOT_CORRECT = "The email or password is not correct."


@given("{name} has a file of her company's AI usage for the last month:")
async def step_usage_file(ctx: ScenarioContext, name: str) -> None:
    """The person has a file of her company's AI usage last month, with the rows of the table."""
    await ctx.cast.person(name).attempts_to(SaveUsageFile(list(ctx.table)))


@given("{name}'s browser is on a server whose passes last only a couple of seconds")
async def step_browser_short_passes(ctx: ScenarioContext, name: str) -> None:
    """The person's browser will use a server whose passes expire after a couple of seconds."""
    ctx.web.urls[name] = (await security.short_pass_instance(ctx)).url


@given("{name} has signed up in her browser")
async def step_sign_up(ctx: ScenarioContext, name: str) -> None:
    """The person has signed up and is signed in on the chat page in her browser."""
    await (await ctx.web.person(name)).attempts_to(SignUpInTheBrowser())


@when("{name} signs up in her browser")
async def step_signs_up(ctx: ScenarioContext, name: str) -> None:
    """The person signs up on the chat page in her browser."""
    await (await ctx.web.person(name)).attempts_to(SignUpInTheBrowser())


@given("{name} has signed out in her browser")
async def step_signed_out(ctx: ScenarioContext, name: str) -> None:
    """The person has signed out on the chat page in her browser."""
    await (await ctx.web.person(name)).attempts_to(SignOutInTheBrowser())


@when("{name} reloads the page in her browser")
async def step_reload(ctx: ScenarioContext, name: str) -> None:
    """The person reloads the chat page in her browser."""
    await (await ctx.web.person(name)).attempts_to(ReloadThePage())


@given("{name} has loaded her usage file in her browser")
async def step_load_usage(ctx: ScenarioContext, name: str) -> None:
    """The person has loaded her usage file on the chat page."""
    await (await ctx.web.person(name)).attempts_to(LoadTheUsageFileInTheBrowser())


@given("{name} has signed up in her browser and loaded her usage file")
async def step_start(ctx: ScenarioContext, name: str) -> None:
    """The person has signed up on the chat page and loaded her usage file."""
    person = await ctx.web.person(name)
    await person.attempts_to(SignUpInTheBrowser(), LoadTheUsageFileInTheBrowser())


@given('{name} has asked "{question}" in her browser and received the answer')
async def step_asked(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person has asked a question on the chat page and the answer is shown (and remembered)."""
    person = await ctx.web.person(name)
    await person.attempts_to(AskInTheBrowserForTheAnswer(question, ANSWER_TIMEOUT_S))


@given('{name} has asked "{question}" in her browser, and her usage is being read')
async def step_asked_reading(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person has asked a question on the chat page and it shows her usage being read."""
    person = await ctx.web.person(name)
    await person.attempts_to(AskInTheBrowserUntilItRuns(question, "usage_report", ANSWER_TIMEOUT_S))


@given("{name} has the chat open in a second browser tab")
async def step_second_tab(ctx: ScenarioContext, name: str) -> None:
    """The person has the chat page open in a second tab too."""
    await (await ctx.web.person(name)).attempts_to(OpenASecondTab())


@when('{name} asks "{question}" in her browser')
@when('{name} asks in the same conversation "{question}" in her browser')
async def step_ask(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asks a question on the chat page (a new or the same conversation)."""
    await (await ctx.web.person(name)).attempts_to(AskInTheBrowser(question))


@when('{name} asks "{question}" in her browser once her first pass has run out')
async def step_ask_after_renewal(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asks a question on the chat page once the page has renewed her first pass."""
    person = await ctx.web.person(name)
    await person.attempts_to(AskInTheBrowserOnceThePassIsRenewed(question, PASS_RENEWAL_TIMEOUT_S))


@when('{name} opens the conversation "{title}" from her history in her browser')
async def step_open_conversation(ctx: ScenarioContext, name: str, title: str) -> None:
    """The person opens an earlier conversation by its title from the page's history."""
    await (await ctx.web.person(name)).attempts_to(OpenTheConversationInTheBrowser(title))


@when('{name} searches her conversations for "{words}" in her browser')
async def step_search(ctx: ScenarioContext, name: str, words: str) -> None:
    """The person searches her conversations for some words on the chat page."""
    await (await ctx.web.person(name)).attempts_to(SearchInTheBrowser(words))


@when('{name} signs in with the password "{password}" in her browser')
async def step_sign_in(ctx: ScenarioContext, name: str, password: str) -> None:
    """The person tries to sign in on the chat page with the password given."""
    await (await ctx.web.person(name)).attempts_to(SignInInTheBrowser(password))


@when("{name}'s browser loses its connection")
async def step_drop(ctx: ScenarioContext, name: str) -> None:
    """The person's browser loses its connection to the chat."""
    await (await ctx.web.person(name)).attempts_to(LoseTheBrowsersConnection())


@when("{name} signs out in her first browser tab")
async def step_sign_out(ctx: ScenarioContext, name: str) -> None:
    """The person signs out in her first tab (the moment is remembered)."""
    await (await ctx.web.person(name)).attempts_to(SignOutInTheBrowser(tab=1))


@then(
    "{name}'s browser shows every kind of progress, in order, ending with the answer "
    "within {seconds:g} seconds"
)
async def step_progress(ctx: ScenarioContext, name: str, seconds: float) -> None:
    """The page shows every kind of progress in order and then the answer, within the time given."""
    person = await ctx.web.person(name)
    await person.should(See(TheProgressInTheBrowser(seconds), ShowsEveryKindOfProgressInOrder()))


@then(
    "within {seconds:g} seconds {name}'s browser is back on its own, showing every step once, "
    "in order, to the answer"
)
async def step_caught_up(ctx: ScenarioContext, name: str, seconds: float) -> None:
    """Within the time given the page reconnects by itself and shows every step once, in order, to the answer."""
    person = await ctx.web.person(name)
    await person.should(See(HowTheBrowserCaughtUp(seconds), CaughtUpOnItsOwn()))


@then("{name}'s browser tells her that her company spent {amount} in the last 30 days")
async def step_told_total(ctx: ScenarioContext, name: str, amount: str) -> None:
    """The page's answer tells the person her company's spend over the last 30 days."""
    person = await ctx.web.person(name)
    await person.should(See(TheAnswerInTheBrowser(ANSWER_TIMEOUT_S), StatesTheTotal(amount)))


@then("{name}'s browser tells her she can save about {amount} a month")
async def step_told_savings(ctx: ScenarioContext, name: str, amount: str) -> None:
    """The page's answer tells the person the monthly saving she could make."""
    person = await ctx.web.person(name)
    await person.should(See(TheAnswerInTheBrowser(ANSWER_TIMEOUT_S), StatesTheSavings(amount)))


@then('the answer in {name}\'s browser is about the "{feature}" feature only')
async def step_scoped(ctx: ScenarioContext, name: str, feature: str) -> None:
    """The page's answer covers only the named feature."""
    person = await ctx.web.person(name)
    await person.should(
        See(TheAnswerInTheBrowser(ANSWER_TIMEOUT_S), IsAboutTheFeatureOnly(feature))
    )


@then("{name}'s browser shows her question followed by the assistant's answer")
async def step_question_then_answer(ctx: ScenarioContext, name: str) -> None:
    """The page shows exactly the person's question followed by the assistant's answer."""
    person = await ctx.web.person(name)
    await person.should(See(TheConversationInTheBrowser(), ShowsHerQuestionThenTheAnswer()))


@then('{name}\'s browser finds her question "{question}"')
async def step_found(ctx: ScenarioContext, name: str, question: str) -> None:
    """The page's search found the person's question."""
    person = ctx.cast.person(name)
    await person.should(See(TheNoted(FOUND_IN_THE_BROWSER), Includes(question)))


@then("{name}'s browser tells her the email or password is not correct")
async def step_refused(ctx: ScenarioContext, name: str) -> None:
    """The page tells the person the email or password is not correct."""
    saw = "{name} saw {answer!r}"
    await ctx.cast.person(name).should(
        See(TheNoted(SIGN_IN_SHOWN), IsEqualTo(NOT_CORRECT, instead=saw))
    )


@then("{name} is still signed out in her browser")
async def step_still_out(ctx: ScenarioContext, name: str) -> None:
    """The page still shows the person signed out."""
    await (await ctx.web.person(name)).should(See(WhatTheBrowserShows(), IsSignedOut()))


@then("{name}'s second browser tab tells her she has been signed out within {seconds:g} seconds")
async def step_told_signed_out(ctx: ScenarioContext, name: str, seconds: float) -> None:
    """The second tab tells the person she has been signed out, within the time given of her click."""
    told = "You have been signed out"
    shown = WhatTheBrowserShows(tab=2, told=told, within=seconds, since=SIGNED_OUT_AT)
    await (await ctx.web.person(name)).should(See(shown, IsSignedOut()))


@then("{name}'s browser tells her the service is briefly unavailable")
async def step_told_unavailable(ctx: ScenarioContext, name: str) -> None:
    """The page tells the person the service is briefly unavailable."""
    await (await ctx.web.person(name)).asks_for(WhatTheBrowserShows(told="briefly unavailable"))


@then("{name}'s browser never told her she had been signed out")
async def step_never_signed_out(ctx: ScenarioContext, name: str) -> None:
    """The page still shows the person signed in and never said she was signed out."""
    await (await ctx.web.person(name)).should(See(WhatTheBrowserShows(), NeverSaidSignedOut()))


@then("{name}'s browser still shows her chat, signed in as herself")
async def step_still_in(ctx: ScenarioContext, name: str) -> None:
    """The page still shows the person's chat, signed in as herself and connected."""
    shown = WhatTheBrowserShows(connected=True)
    await (await ctx.web.person(name)).should(See(shown, IsSignedInAsThemselves()))


@then("{name}'s browser keeps nothing a script on the page could read")
async def step_nothing_readable(ctx: ScenarioContext, name: str) -> None:
    """The browser's storage holds nothing a script on the page could read (no pass)."""
    person = await ctx.web.person(name)
    await person.should(See(WhatScriptsOnThePageCanRead(), KeepsNothingReadable()))
