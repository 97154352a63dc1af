"""Who may open the chat."""

from __future__ import annotations

import allure

from driver.actors.questions import TheNoted
from driver.actors.tasks import TURNED_AWAY, TryToOpenChat, TryToOpenChatShowing
from driver.oracle import refusals
from fixtures import security
from fixtures.cast import LAST_REFUSAL
from fixtures.context import ScenarioContext, then, when


@when("{name} opens the chat {kind}")
async def step_open_chat_with(ctx: ScenarioContext, name: str, kind: str) -> None:
    """The person tries to open the chat without a pass, or with a made-up, expired or foreign one."""
    person = ctx.cast.person(name)
    await person.attempts_to(TryToOpenChatShowing(kind, security.pass_factory(ctx)))
    refused = await person.asks_for(TheNoted(TURNED_AWAY))
    ctx.cast.notes.write(LAST_REFUSAL, refused)


@when(
    "{name}'s app asks to open the chat, showing her pass as a browser does but without naming the chat's version"
)
async def step_open_chat_without_version(ctx: ScenarioContext, name: str) -> None:
    """The person's app opens the chat with her pass the browser way but names no chat version."""
    person = ctx.cast.person(name)
    attempt = TryToOpenChat(person.access_token, "her pass alone", browser=True, name_version=False)
    await person.attempts_to(attempt)
    refused = await person.asks_for(TheNoted(TURNED_AWAY))
    ctx.cast.notes.write(LAST_REFUSAL, refused)


@then("{name}'s pass appears nowhere in what our servers wrote down")
def step_pass_not_logged(ctx: ScenarioContext, name: str) -> None:
    """The person's pass is written in none of the servers' logs."""
    token = ctx.cast.person(name).access_token
    stack = ctx.target.stack
    if stack is None:  # a deployment's logs are not at hand: the refusal was the check
        allure.attach(
            "not checked: the deployment's logs are not at hand",
            name="what our servers wrote down",
            attachment_type=allure.attachment_type.TEXT,
        )
        return
    for server, path in stack.log_paths().items():
        assert token not in path.read_text(errors="replace"), (
            f"{name}'s pass is written down in the log of {server} ({path})"
        )


@then("{name} is turned away before the chat opens, because {reason:Refusal}")
def step_turned_away(ctx: ScenarioContext, name: str, reason: str) -> None:
    """The person was refused before the chat opened, for the reason given."""
    refusals.expect_refused(ctx.cast.notes.read(LAST_REFUSAL), reason, who=name)
