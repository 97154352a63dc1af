"""The chat web page, in a real browser (@ui): each step one call on the person's browser."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from driver.actors.actor import Actor
from driver.actors.usage_table import usage_records
from driver.oracle.answers import stated_monthly_savings, stated_total
from driver.web import web_tasks
from driver.web.browser import WebBrowsing
from fixtures import security
from fixtures.context import ScenarioContext, given, then, when

ANSWER_TIMEOUT_S = 15.0
PASS_RENEWAL_TIMEOUT_S = 10.0


async def _browsing(ctx: ScenarioContext, name: str) -> Actor:
    """The person, with the ability to browse the web: their browser, started on first use."""
    person = ctx.cast.person(name)
    person.can(await ctx.web.of(person))
    return person


async def _web(ctx: ScenarioContext, name: str) -> WebBrowsing:
    return (await _browsing(ctx, name)).ability_to(WebBrowsing)


@given("{name} has a file of her company's AI usage for the last month:")
def step_usage_file(ctx: ScenarioContext, name: str) -> None:
    """The person has a file of her company's AI usage last month, with the rows of the table."""
    records = usage_records(ctx.table)
    path = Path(tempfile.mkdtemp()) / f"{name.lower()}-usage.csv"
    ctx.usage_file = web_tasks.write_usage_csv(records, path)


@given("{name}'s browser is on a server whose passes last only a couple of seconds")
async def step_browser_short_passes(ctx: ScenarioContext, name: str) -> None:
    """The person's browser will use a server whose passes expire after a couple of seconds."""
    ctx.web.urls[name] = (await security.short_pass_instance(ctx)).url


@given("{name} has signed up in her browser")
async def step_sign_up(ctx: ScenarioContext, name: str) -> None:
    """The person has signed up and is signed in on the chat page in her browser."""
    await web_tasks.sign_up(await _browsing(ctx, name))


@when("{name} signs up in her browser")
async def step_signs_up(ctx: ScenarioContext, name: str) -> None:
    """The person signs up on the chat page in her browser."""
    await web_tasks.sign_up(await _browsing(ctx, name))


@given("{name} has signed out in her browser")
async def step_signed_out(ctx: ScenarioContext, name: str) -> None:
    """The person has signed out on the chat page in her browser."""
    await (await (await _web(ctx, name)).tab()).sign_out()


@when("{name} reloads the page in her browser")
async def step_reload(ctx: ScenarioContext, name: str) -> None:
    """The person reloads the chat page in her browser."""
    await web_tasks.reload(await _browsing(ctx, name))


@given("{name} has loaded her usage file in her browser")
async def step_load_usage(ctx: ScenarioContext, name: str) -> None:
    """The person has loaded her usage file on the chat page."""
    await web_tasks.load_usage(await _browsing(ctx, name), ctx.usage_file)


@given("{name} has signed up in her browser and loaded her usage file")
async def step_start(ctx: ScenarioContext, name: str) -> None:
    """The person has signed up on the chat page and loaded her usage file."""
    await web_tasks.start_with_usage(await _browsing(ctx, name), ctx.usage_file)


@given('{name} has asked "{question}" in her browser and received the answer')
async def step_asked(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person has asked a question on the chat page and the answer is shown (and remembered)."""
    answer = await web_tasks.ask_and_wait(await _browsing(ctx, name), question, ANSWER_TIMEOUT_S)
    ctx.web_answers = {**getattr(ctx, "web_answers", {}), question: answer}


@given('{name} has asked "{question}" in her browser, and her usage is being read')
async def step_asked_reading(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person has asked a question on the chat page and it shows her usage being read."""
    person = await _browsing(ctx, name)
    await web_tasks.ask_and_wait_for_tool(person, question, "usage_report", ANSWER_TIMEOUT_S)


@given("{name} has the chat open in a second browser tab")
async def step_second_tab(ctx: ScenarioContext, name: str) -> None:
    """The person has the chat page open in a second tab too."""
    await web_tasks.open_second_tab(await _browsing(ctx, name))


@when('{name} asks "{question}" in her browser')
@when('{name} asks in the same conversation "{question}" in her browser')
async def step_ask(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asks a question on the chat page (a new or the same conversation)."""
    await web_tasks.ask(await _browsing(ctx, name), question)


@when('{name} asks "{question}" in her browser once her first pass has run out')
async def step_ask_after_renewal(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asks a question on the chat page once the page has renewed her first pass."""
    person = await _browsing(ctx, name)
    await web_tasks.ask_once_pass_renewed(person, question, PASS_RENEWAL_TIMEOUT_S)


@when('{name} opens the conversation "{title}" from her history in her browser')
async def step_open_conversation(ctx: ScenarioContext, name: str, title: str) -> None:
    """The person opens an earlier conversation by its title from the page's history."""
    await (await (await _web(ctx, name)).tab()).open_conversation(title)


@when('{name} searches her conversations for "{words}" in her browser')
async def step_search(ctx: ScenarioContext, name: str, words: str) -> None:
    """The person searches her conversations for some words on the chat page."""
    ctx.found = await (await (await _web(ctx, name)).tab()).search(words)


@when('{name} signs in with the password "{password}" in her browser')
async def step_sign_in(ctx: ScenarioContext, name: str, password: str) -> None:
    """The person tries to sign in on the chat page with the password given."""
    person = ctx.cast.person(name)
    ctx.page_said = await (await (await _web(ctx, name)).tab()).sign_in(person.email, password)


@when("{name}'s browser loses its connection")
async def step_drop(ctx: ScenarioContext, name: str) -> None:
    """The person's browser loses its connection to the chat."""
    await web_tasks.drop_connection(await _browsing(ctx, name))


@when("{name} signs out in her first browser tab")
async def step_sign_out(ctx: ScenarioContext, name: str) -> None:
    """The person signs out in her first tab (the moment is remembered)."""
    ctx.signed_out_at = time.monotonic()
    await (await (await _web(ctx, name)).tab(1)).sign_out()


@then(
    "{name}'s browser shows every kind of progress, in order, ending with the answer "
    "within {seconds:g} seconds"
)
async def step_progress(ctx: ScenarioContext, name: str, seconds: float) -> None:
    """The page shows every kind of progress in order and then the answer, within the time given."""
    tab = await (await _web(ctx, name)).tab()
    await tab.wait_for_end(seconds)
    problems = web_tasks.progress_problems(await tab.steps())
    assert not problems, f"{tab.name}'s progress is wrong: {'; '.join(problems)}"


@then(
    "within {seconds:g} seconds {name}'s browser is back on its own, showing every step once, "
    "in order, to the answer"
)
async def step_caught_up(ctx: ScenarioContext, name: str, seconds: float) -> None:
    """Within the time given the page reconnects by itself and shows every step once, in order, to the answer."""
    problems = await web_tasks.caught_up_problems(await _browsing(ctx, name), seconds)
    assert not problems, f"{name}'s browser did not catch up: {'; '.join(problems)}"


@then("{name}'s browser tells her that her company spent {amount} in the last 30 days")
async def step_told_total(ctx: ScenarioContext, name: str, amount: str) -> None:
    """The page's answer tells the person her company's spend over the last 30 days."""
    answer = await web_tasks.answer(await _browsing(ctx, name), ANSWER_TIMEOUT_S)
    assert stated_total(answer) == amount, f"{name} was told {stated_total(answer)}:\n{answer}"


@then("{name}'s browser tells her she can save about {amount} a month")
async def step_told_savings(ctx: ScenarioContext, name: str, amount: str) -> None:
    """The page's answer tells the person the monthly saving she could make."""
    answer = await web_tasks.answer(await _browsing(ctx, name), ANSWER_TIMEOUT_S)
    said = stated_monthly_savings(answer)
    assert said == amount, f"{name} was told she can save {said} a month:\n{answer}"


@then('the answer in {name}\'s browser is about the "{feature}" feature only')
async def step_scoped(ctx: ScenarioContext, name: str, feature: str) -> None:
    """The page's answer covers only the named feature."""
    answer = await web_tasks.answer(await _browsing(ctx, name), ANSWER_TIMEOUT_S)
    assert web_tasks.about_feature_only(answer, feature), f"not only {feature}:\n{answer}"


@then("{name}'s browser shows her question followed by the assistant's answer")
async def step_question_then_answer(ctx: ScenarioContext, name: str) -> None:
    """The page shows exactly the person's question followed by the assistant's answer."""
    shown = await (await (await _web(ctx, name)).tab()).messages()
    problems = web_tasks.exchange_problems(shown, getattr(ctx, "web_answers", {}))
    assert not problems, f"{name}'s browser shows {shown}: " + "; ".join(problems)


@then('{name}\'s browser finds her question "{question}"')
def step_found(ctx: ScenarioContext, name: str, question: str) -> None:
    """The page's search found the person's question."""
    assert question in ctx.found, f"{name}'s search found {ctx.found}, not {question!r}"


@then("{name}'s browser tells her the email or password is not correct")
def step_refused(ctx: ScenarioContext, name: str) -> None:
    """The page tells the person the email or password is not correct."""
    said = ctx.page_said
    assert said == "The email or password is not correct.", f"{name} saw {said!r}"


@then("{name} is still signed out in her browser")
async def step_still_out(ctx: ScenarioContext, name: str) -> None:
    """The page still shows the person signed out."""
    tab = await (await _web(ctx, name)).tab()
    assert not await tab.signed_in(), f"{tab.name} shows {name} signed in"


@then("{name}'s second browser tab tells her she has been signed out within {seconds:g} seconds")
async def step_told_signed_out(ctx: ScenarioContext, name: str, seconds: float) -> None:
    """The second tab tells the person she has been signed out, within the time given of her click."""
    tab = await (await _web(ctx, name)).tab(2)
    left = seconds - (time.monotonic() - ctx.signed_out_at)  # counted from the click
    await tab.wait_for_notice("You have been signed out", max(left, 0.0))
    assert not await tab.signed_in(), f"{tab.name} still shows the chat"


@then("{name}'s browser tells her the service is briefly unavailable")
async def step_told_unavailable(ctx: ScenarioContext, name: str) -> None:
    """The page tells the person the service is briefly unavailable."""
    await (await (await _web(ctx, name)).tab()).wait_for_notice("briefly unavailable")


@then("{name}'s browser never told her she had been signed out")
async def step_never_signed_out(ctx: ScenarioContext, name: str) -> None:
    """The page still shows the person signed in and never said she was signed out."""
    tab = await (await _web(ctx, name)).tab()
    notice = await tab.notice()
    assert await tab.signed_in() and "signed out" not in notice, f"{tab.name} says {notice!r}"


@then("{name}'s browser still shows her chat, signed in as herself")
async def step_still_in(ctx: ScenarioContext, name: str) -> None:
    """The page still shows the person's chat, signed in as herself and connected."""
    person = ctx.cast.person(name)
    tab = await (await _web(ctx, name)).tab()
    assert await tab.signed_in(), f"{tab.name} asks {name} to sign in again"
    shown = await tab.who()
    assert person.email in shown, f"{tab.name} shows {shown!r} as signed in, not {name}"
    await tab.wait_connected()


@then("{name}'s browser keeps nothing a script on the page could read")
async def step_nothing_readable(ctx: ScenarioContext, name: str) -> None:
    """The browser's storage holds nothing a script on the page could read (no pass)."""
    kept = await web_tasks.readable_by_scripts(await _browsing(ctx, name))
    assert not kept, f"a script on {name}'s page can read: {kept}"
