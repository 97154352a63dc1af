"""Renewing passes, signing out, devices, password changes, lockout and enterprise sign-in."""

from __future__ import annotations

from typing import Any

from driver.actors.interactions import See, StatesTheirOwnSpend
from driver.actors.questions import (
    HowTheServiceClosed,
    TheAnswer,
    TheAnswerOn,
    TheAnswerText,
    TheChatOn,
    TheLastRefusal,
    TheNoted,
    ThePass,
    TheRenewalsAtOnce,
    TheStepsNotOnceInOrderOn,
    WhatARenewalGets,
    WhatStillWorks,
)
from driver.actors.tasks import (
    CHAT_CLOSED_WITH,
    KEY_FETCHES_BEFORE,
    LOCKED_OUT,
    OLD_PASSWORD,
    PREVIOUS_PASS,
    PROVIDER_REFUSALS,
    RENEWED_WITH_THE_COPY,
    SIGN_IN_ENDED_AT,
    SIGNED_IN_AT,
    TURNED_AWAY_SHOWING_PASSES,
    Ask,
    ChangePassword,
    CopyTheRenewalOf,
    FollowTheAnswerOn,
    KeepTheChatOpenPastThePass,
    OpenChat,
    Reconnect,
    RenewThePass,
    RenewTwiceAtOnce,
    RenewWithTheCopy,
    SignInNotingWhen,
    SignInOn,
    SignInOnceTheLockLifts,
    SignInThroughProvider,
    SignOut,
    SignOutEverywhere,
    SignUp,
    TryToGetIn,
    TryToSignIn,
    TryToSignInDespiteTheLock,
    TryToSignInThroughProvider,
    TryWrongPasswords,
)
from driver.client.contract import EventType
from driver.oracle import refusals
from fixtures import balancing, redaction, security
from fixtures.cast import LAST_REFUSAL
from fixtures.context import ScenarioContext, given, then, when
from harness.servers import servers_of

ANSWER_TIMEOUT_S = 15.0


# -- renewing ----------------------------------------------------------------------------------


@when("{name}'s app renews {her:Her} pass")
@given("{name}'s app has renewed {her:Her} pass")
async def step_renew(ctx: ScenarioContext, name: str, her: str) -> None:
    """The person's app renews her pass (the previous pass and renewal are remembered)."""
    await ctx.cast.person(name).attempts_to(RenewThePass())


@then("{name} can open the chat with her new pass")
async def step_chat_with_new_pass(ctx: ScenarioContext, name: str) -> None:
    """The person got a different pass and can open the chat with it."""
    person = ctx.cast.person(name)
    previous = await person.asks_for(TheNoted(PREVIOUS_PASS))
    assert person.access_token != previous.access_token, f"{name} got the same pass again"
    await person.attempts_to(OpenChat())
    await (await person.asks_for(TheChatOn())).ping()


@then("{name}'s previous renewal no longer works")
async def step_previous_renewal_spent(ctx: ScenarioContext, name: str) -> None:
    """The person's previous renewal is refused: it was already used."""
    person = ctx.cast.person(name)
    previous = await person.asks_for(TheNoted(PREVIOUS_PASS))
    again = await person.asks_for(WhatARenewalGets(previous.refresh_token))
    refusals.expect_refused(again, "the renewal was already used", who=f"{name}'s previous renewal")


@given("{attacker} has copied {victim}'s renewal")
async def step_copy_renewal(ctx: ScenarioContext, attacker: str, victim: str) -> None:
    """The attacker has a copy of the victim's current renewal."""
    await ctx.cast.person(attacker).attempts_to(CopyTheRenewalOf(ctx.cast.person(victim)))


@when("{attacker} renews {victim}'s pass with the copy")
async def step_replay_renewal(ctx: ScenarioContext, attacker: str, victim: str) -> None:
    """The attacker tries to renew the victim's pass with the copied renewal."""
    await ctx.cast.spotlight_on(attacker).attempts_to(RenewWithTheCopy())


@then("{name} is refused because the renewal was already used")
async def step_refused_reuse(ctx: ScenarioContext, name: str) -> None:
    """The renewal is refused: it was already used."""
    renewal = await ctx.cast.person(name).asks_for(TheNoted(RENEWED_WITH_THE_COPY))
    refusals.expect_refused(renewal, "the renewal was already used", who=name)


@then("{name}'s newest pass and renewal stop working too")
async def step_family_ended(ctx: ScenarioContext, name: str) -> None:
    """The person's newest pass and renewal no longer work either (the whole sign-in ended)."""
    person = ctx.cast.person(name)
    working = await person.asks_for(WhatStillWorks())
    assert not working, f"after the replay, {name}'s sign-in goes on: {', '.join(working)}"


@when("{name}'s laptop and phone renew the same pass at the same moment")
async def step_renew_twice(ctx: ScenarioContext, name: str) -> None:
    """The person's laptop and phone renew the same pass at the same moment."""
    await ctx.cast.spotlight_on(name).attempts_to(RenewTwiceAtOnce())


@then("exactly one of them gets a new pass")
async def step_exactly_one(ctx: ScenarioContext) -> None:
    """Exactly one of the two renewals gets a new pass; the other is refused as already used."""
    race = await ctx.cast.in_the_spotlight().asks_for(TheRenewalsAtOnce())
    assert len(race.won) == 1 and len(race.lost) == 1, f"the two renewals ended as: {race}"
    refusals.expect_refused(race.lost[0], "the renewal was already used", who="the second renewal")


@then("that new pass and its renewal stop working too, as the same renewal was used twice")
async def step_winner_ended(ctx: ScenarioContext) -> None:
    """The winning renewal's pass and renewal no longer work, as the renewal was used twice."""
    person = ctx.cast.in_the_spotlight()
    [winner] = (await person.asks_for(TheRenewalsAtOnce())).won
    working = await person.asks_for(WhatStillWorks(winner))
    assert not working, f"after the double renewal, {person.name}'s sign-in goes on: {working}"


# -- devices and signing out -------------------------------------------------------------------


@given("{name} has the chat open in two tabs, each served by a different server")
async def step_two_tabs(ctx: ScenarioContext, name: str) -> None:
    """The person has the chat open in two tabs, each served by a different server."""
    person = ctx.cast.person(name)
    if not ctx.target.embedded:  # a deployment: its balancer spreads the tabs
        await person.attempts_to(balancing.OpenApart(("first tab", "second tab")))
        if not await person.asks_for(TheNoted(balancing.SERVERS_SAID)):
            ctx.scenario.skip(balancing.NOT_SAID)
        return
    person.chat.serve_from("second tab", (await security.second_instance(ctx)).url)
    await person.attempts_to(OpenChat("first tab"), OpenChat("second tab"))


@given("{name} is also signed in on her phone, with the chat open")
async def step_phone_too(ctx: ScenarioContext, name: str) -> None:
    """The person has also signed in on her phone, with the chat open there."""
    person = ctx.cast.person(name)
    await person.attempts_to(SignInOn("phone"), OpenChat("phone"))


@given("{name} is signed in on her laptop and on her phone, with the chat open on both")
async def step_laptop_and_phone(ctx: ScenarioContext, name: str) -> None:
    """The person is signed in separately on her laptop and her phone, with the chat open on both."""
    person = ctx.cast.person(name)
    for device in ("laptop", "phone"):
        await person.attempts_to(SignInOn(device), OpenChat(device))


@when("{name} signs out in her first tab")
async def step_sign_out_tab(ctx: ScenarioContext, name: str) -> None:
    """The person signs out in her first tab (she remembers the moment)."""
    await ctx.cast.spotlight_on(name).attempts_to(SignOut())


@given("{name} has signed out")
async def step_has_signed_out(ctx: ScenarioContext, name: str) -> None:
    """The person has signed out."""
    await ctx.cast.person(name).attempts_to(SignOut())


@then("both of {name}'s tabs are closed within {seconds:g} seconds, asking her to sign in again")
async def step_tabs_closed(ctx: ScenarioContext, name: str, seconds: float) -> None:
    """Both tabs' chats are closed within the time given, each saying the pass ended."""
    person = ctx.cast.person(name)
    tabs = ("first tab", "second tab")
    closed = await person.asks_for(HowTheServiceClosed(tabs, seconds, since=SIGN_IN_ENDED_AT))
    for tab in closed:
        refusals.expect_closed(tab.code, "the pass ended", who=f"{name}'s {tab.device}")


@then("the pass and renewal of that sign-in no longer work")
async def step_sign_in_ended(ctx: ScenarioContext) -> None:
    """The pass and renewal of the signed-out sign-in no longer work."""
    person = ctx.cast.in_the_spotlight()
    working = await person.asks_for(WhatStillWorks())
    assert not working, f"after signing out, {person.name}'s sign-in goes on: {', '.join(working)}"


@then("{name}'s phone stays connected")
async def step_phone_connected(ctx: ScenarioContext, name: str) -> None:
    """The person's phone is still connected and answers."""
    phone = ctx.cast.person(name).chat.sockets["phone"]
    assert phone.is_open, f"{name}'s phone was disconnected too ({phone.close_code})"
    await phone.ping(timeout=2)


@when("{name} signs out everywhere from her laptop")
async def step_sign_out_everywhere(ctx: ScenarioContext, name: str) -> None:
    """The person signs out on every device, from her laptop."""
    await ctx.cast.person(name).attempts_to(SignOutEverywhere("laptop"))


@when("{name} changes her password on her laptop")
async def step_change_password(ctx: ScenarioContext, name: str) -> None:
    """The person changes her password on her laptop."""
    await ctx.cast.person(name).attempts_to(ChangePassword("laptop"))
    redaction.remember(ctx.cast.person(name).password)  # the new one: never in the report


@then(
    "the chat is closed on both of {name}'s devices within {seconds:g} seconds, "
    "asking her to sign in again"
)
async def step_devices_closed(ctx: ScenarioContext, name: str, seconds: float) -> None:
    """The chat closes on the person's laptop and phone within the time given, saying the pass ended."""
    person = ctx.cast.person(name)
    devices = ("laptop", "phone")
    closed = await person.asks_for(HowTheServiceClosed(devices, seconds, since=SIGN_IN_ENDED_AT))
    for device in closed:
        refusals.expect_closed(device.code, "the pass ended", who=f"{name}'s {device.device}")


@then("no pass or renewal of either device works any more")
async def step_devices_ended(ctx: ScenarioContext) -> None:
    """No pass or renewal of any of the people's devices works any more."""
    for person in ctx.cast.people:
        for device, tokens in person.device_passes.items():
            working = await person.asks_for(WhatStillWorks(tokens))
            assert not working, f"{person.name}'s {device} goes on: {', '.join(working)}"


@then("{name} can sign in again with her password")
async def step_can_sign_in_again(ctx: ScenarioContext, name: str) -> None:
    """The person can sign in again with her password."""
    person = ctx.cast.person(name)
    await person.attempts_to(TryToSignIn())
    refusal = await person.asks_for(TheLastRefusal())
    assert refusal is None, f"{name} could not sign in again: {refusal}"


@then("only {name}'s new password lets her in")
async def step_only_new_password(ctx: ScenarioContext, name: str) -> None:
    """The person's old password is refused and her new one lets her in."""
    person = ctx.cast.person(name)
    old_password = await person.asks_for(TheNoted(OLD_PASSWORD))
    await person.attempts_to(TryToSignIn(old_password))
    refusals.expect_refused(
        await person.asks_for(TheLastRefusal()),
        "the email or password is not correct",
        who=f"{name}, with her old password,",
    )
    await person.attempts_to(TryToSignIn())
    refusal = await person.asks_for(TheLastRefusal())
    assert refusal is None, f"{name}'s new password was refused: {refusal}"


@when("the session cache restarts and loses everything it held")
async def step_restart_cache(ctx: ScenarioContext) -> None:
    """The session cache restarts and loses everything it held."""
    await security.restart_session_cache(ctx)


@then("{name}'s old pass still does not open the chat")
async def step_old_pass_refused(ctx: ScenarioContext, name: str) -> None:
    """The person's old pass is still refused at the chat and at the history."""
    person = ctx.cast.person(name)
    await person.attempts_to(TryToGetIn(person.access_token, "her old pass"))
    turned_away = await person.asks_for(TheNoted(TURNED_AWAY_SHOWING_PASSES))
    refusals.expect_all_refused(turned_away, "the pass is not valid", who=f"{name}'s old pass")


@when('{name} asks on her phone "{question}"')
async def step_ask_on_phone(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asks a question on her phone."""
    await ctx.cast.spotlight_on(name).attempts_to(Ask(question, device="phone"))


@then("{name}'s laptop shows every step of the answer too")
async def step_laptop_shows(ctx: ScenarioContext, name: str) -> None:
    """The person's laptop sees the same steps of the answer as her phone."""
    person = ctx.cast.person(name)
    await person.asks_for(TheAnswer(ANSWER_TIMEOUT_S))
    laptop = person.chat.sockets["laptop"].run(person.asked_last().run_id)
    await laptop.wait_final(ANSWER_TIMEOUT_S, who=f"{name}'s laptop")
    assert laptop.types() == person.asked_last().types(), (
        f"{name}'s laptop saw {laptop.types()}, the phone {person.asked_last().types()}"
    )


# -- a pass that expires -----------------------------------------------------------------------


@given("{name} is signed in on a server whose passes last {seconds:d} seconds, with the chat open")
async def step_short_passes(ctx: ScenarioContext, name: str, seconds: int) -> None:
    """The person is signed in, chat open, on a server whose passes last that many seconds."""
    assert seconds == security.SHORT_PASS_SECONDS, f"that server's passes last {seconds} s"
    security.move_cast_to(ctx, await security.short_pass_instance(ctx))
    person = ctx.cast.person(name)
    await person.attempts_to(SignUp(), SignInNotingWhen(), OpenChat())


@when("{name} keeps the chat open past her pass's expiry")
async def step_wait_expiry(ctx: ScenarioContext, name: str) -> None:
    """The person keeps the chat open until it is closed, at most until just past her pass's expiry."""
    await ctx.cast.person(name).attempts_to(KeepTheChatOpenPastThePass())


@then("{name}'s chat was closed at the expiry, asking her to sign in again")
async def step_closed_at_expiry(ctx: ScenarioContext, name: str) -> None:
    """The person's chat was closed at her pass's expiry, saying the pass ended."""
    person = ctx.cast.person(name)
    code = await person.asks_for(TheNoted(CHAT_CLOSED_WITH))
    refusals.expect_closed(code, "the pass ended", who=f"{name}'s chat")
    closed_at = person.chat.sockets["laptop"].closed_at
    assert closed_at is not None, f"{name}'s chat is still open"
    after = closed_at - await person.asks_for(TheNoted(SIGNED_IN_AT))
    lifetime = (await person.asks_for(ThePass())).expires_in
    # Expiry is in whole seconds from the moment of issue: up to a second earlier than ours.
    assert lifetime - 1.2 <= after <= lifetime + 1.0, (
        f"{name}'s chat closed {after:.2f} s after sign-in; the pass lasted {lifetime} s"
    )


@then("after renewing her pass {name} opens the chat again and gets an answer")
async def step_renew_and_answer(ctx: ScenarioContext, name: str) -> None:
    """After renewing her pass the person reconnects, asks and gets her own spend."""
    person = ctx.cast.person(name)
    await person.attempts_to(RenewThePass(), Reconnect(), Ask("How can we cut our model spend?"))
    await person.should(See(TheAnswerText(ANSWER_TIMEOUT_S), StatesTheirOwnSpend()))


# -- a pass that ends while an answer is running ---------------------------------------------


@given(
    "{name} is signed in on her laptop on a server with {seconds:d}-second passes and slow usage data"
)
async def step_short_passes_slow_tools(ctx: ScenarioContext, name: str, seconds: int) -> None:
    """The person is signed in on her laptop on a server with short passes and slow usage data."""
    assert seconds == security.SHORT_PASS_SECONDS, f"that server's passes last {seconds} s"
    person = ctx.cast.person(name)
    url = servers_of(security.stack_of(ctx)).url("short passes")
    await person.attempts_to(SignInOn("laptop", service_url=url, main=True))


def _still_working(person: Any) -> None:
    assert person.asked_last().final is None, (
        f"{person.name}'s answer came before her pass ended: the pass did not end mid-answer"
    )


@when("{name}'s pass expires while the assistant is still working")
async def step_pass_expires_mid_answer(ctx: ScenarioContext, name: str) -> None:
    """The person's chat closes as her pass expires, before the answer has come."""
    person = ctx.cast.person(name)
    await person.attempts_to(KeepTheChatOpenPastThePass())
    _still_working(person)


@when("{name}'s app renews her pass while the assistant is still working")
async def step_renew_mid_answer(ctx: ScenarioContext, name: str) -> None:
    """The person's app renews her pass before the answer has come."""
    person = ctx.cast.person(name)
    await person.attempts_to(RenewThePass("laptop", main=True))
    _still_working(person)


@then("{name}'s laptop is told her pass has expired, asking her to sign in again")
async def step_told_pass_expired(ctx: ScenarioContext, name: str) -> None:
    """The person's chat was closed saying her pass ended."""
    code = await ctx.cast.person(name).asks_for(TheNoted(CHAT_CLOSED_WITH))
    refusals.expect_closed(code, "the pass ended", who=f"{name}'s chat")


@then("after renewing her pass, {name}'s laptop gets the answer, each step once and in order")
async def step_renew_then_answer(ctx: ScenarioContext, name: str) -> None:
    """After renewing her pass, the person's laptop gets the answer, each step once and in order."""
    person = ctx.cast.person(name)
    await person.attempts_to(RenewThePass("laptop", main=True))
    await _answer_once_in_order(person)


@then("{name}'s laptop gets the answer, each step once and in order, reopening the chat if asked")
async def step_answer_across_renewal(ctx: ScenarioContext, name: str) -> None:
    """The person's laptop gets the answer, each step once and in order, reconnecting if told to."""
    await _answer_once_in_order(ctx.cast.person(name))


async def _answer_once_in_order(person: Any) -> None:
    await person.attempts_to(FollowTheAnswerOn("laptop", ANSWER_TIMEOUT_S))
    final = await person.asks_for(TheAnswerOn("laptop", ANSWER_TIMEOUT_S))
    assert final.type == EventType.AGENT_COMPLETED, (
        f"{person.name} was not answered: {final.describe()}"
    )
    wrong = await person.asks_for(TheStepsNotOnceInOrderOn("laptop", last_only=True))
    assert not wrong, f"{person.name}'s laptop did not get each step once: {wrong}"


# -- guessing passwords ------------------------------------------------------------------------


@when("{attacker} tries {count:d} wrong passwords on {victim}'s account")
@given("{attacker} has tried {count:d} wrong passwords on {victim}'s account")
async def step_guess(ctx: ScenarioContext, attacker: str, count: int, victim: str) -> None:
    """The attacker tries that many wrong passwords on the victim's account, each refused as wrong."""
    on = ctx.cast.person(victim)
    await ctx.cast.person(attacker).attempts_to(TryWrongPasswords(on, count))


@then(
    "even {name}'s right password is refused for now, and she is told to wait about {minutes:d} minutes"
)
@then(
    "even {name}'s right password is refused for now, and she is told to wait about {seconds:d} seconds"
)
async def step_locked(ctx: ScenarioContext, name: str, minutes: int = 0, seconds: int = 0) -> None:
    """Even the person's right password is refused as too many attempts, with a wait of about the time given."""
    person = ctx.cast.person(name)
    await person.attempts_to(TryToSignInDespiteTheLock())
    refusal = await person.asks_for(TheNoted(LOCKED_OUT))
    refusals.expect_refused(refusal, "there were too many attempts", who=name)
    assert refusal is not None  # (for mypy: expect_refused failed otherwise)
    window = minutes * 60 or seconds
    # The lock started a moment ago: what is left of it, in whole seconds rounded up.
    low = window - 60 if minutes else 1
    told = refusal.retry_after
    assert told is not None and low <= told <= window, (
        f"{name} was told to wait {told} s, not about {minutes or seconds} "
        f"{'minutes' if minutes else 'seconds'} ({low} to {window} s)"
    )


@when("{name} mistypes her password {count:d} times and then types it right")
async def step_mistype(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person types a wrong password that many times, then her right one."""
    person = ctx.cast.person(name)
    await person.attempts_to(TryWrongPasswords(person, count))
    await person.attempts_to(TryToSignIn())
    ctx.cast.notes.write(LAST_REFUSAL, await person.asks_for(TheLastRefusal()))


@given("sign-in locks an account for {seconds:d} second after 5 wrong passwords")
@given("sign-in locks an account for {seconds:d} seconds after 5 wrong passwords")
async def step_short_lockout(ctx: ScenarioContext, seconds: int) -> None:
    """The people use a server that locks an account for that many seconds after 5 wrong passwords."""
    assert seconds == security.LOCKOUT_SECONDS, f"that server locks for {seconds} s"
    security.move_cast_to(ctx, await security.second_instance(ctx))


@then("{name} can sign in with her password again within {seconds:g} seconds")
async def step_lock_lifts(ctx: ScenarioContext, name: str, seconds: float) -> None:
    """The person can sign in with her password again within the time given of the last wrong one."""
    person = ctx.cast.person(name)
    refusal = await person.asks_for(TheNoted(LOCKED_OUT))
    told = refusal.retry_after if refusal is not None else None
    assert told is not None and told <= security.LOCKOUT_SECONDS, f"told to wait {told} s"
    await person.attempts_to(SignInOnceTheLockLifts(seconds))


# -- enterprise sign-in ------------------------------------------------------------------------


@given("{name}'s company lets its people sign in through its own provider")
async def step_company_provider(ctx: ScenarioContext, name: str) -> None:
    """The person's company has its own sign-in provider, which the service trusts."""
    ctx.provider = security.sign_in_provider(ctx)
    await security.trusting_the_provider(ctx)
    # A service that does not trust this provider (a deployment told another address) refuses
    # every pass: say so here, before a refusal scenario passes for the wrong reason. Only a
    # provider it trusts and reaches gets an expired pass refused as expired.
    expired = ctx.provider.id_token("trust-check", "trust-check@example.com", issued_ago_s=7200)
    person = ctx.cast.person(name)
    try:
        await person.attempts_to(TryToSignInThroughProvider((expired,)))
        [refused] = await person.asks_for(TheNoted(PROVIDER_REFUSALS))
        refusals.expect_refused(refused, "the pass has expired", who="a pass of the provider")
    except AssertionError as error:
        raise AssertionError(
            f"the service does not trust the provider at {ctx.provider.url}: {error}"
        ) from error


@given("the provider has started signing with a new key")
def step_provider_rotates(ctx: ScenarioContext) -> None:
    """The company's sign-in provider has started signing with a new key."""
    security.rotate_for_scenario(ctx, ctx.provider)


@when("{name} signs in through her company's provider")
async def step_enterprise_sign_in(ctx: ScenarioContext, name: str) -> None:
    """The person signs in through her company's provider (a new key is picked up within its refresh)."""
    person = ctx.cast.person(name)
    subject, provider = f"{name.lower()}-{person.email}", ctx.provider
    # A new provider key is picked up within the key-refresh interval, not instantly.
    await person.attempts_to(
        SignInThroughProvider(
            lambda: provider.id_token(subject, person.email, name),
            within=security.key_refresh_s(ctx) + 2,
        )
    )
    ctx.cast.notes.write(LAST_REFUSAL, None)  # let in ("is recognised as herself", steps/people.py)


@then('{name} can ask "{question}" and get an answer')
async def step_can_ask(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asks a question and gets her own company's spend."""
    person = ctx.cast.person(name)
    await person.attempts_to(Ask(question))
    await person.should(See(TheAnswerText(ANSWER_TIMEOUT_S), StatesTheirOwnSpend()))


@when(
    "{name} tries {count:d} times to sign in with passes naming keys the provider never published"
)
async def step_made_up_kids(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person tries that many sign-ins with provider passes naming keys it never published."""
    provider = ctx.provider
    ctx.cast.notes.write(KEY_FETCHES_BEFORE, provider.jwks_fetches)
    made_up = tuple(
        provider.id_token("mallory", "mallory@example.com", key=provider.made_up_key(f"k{i}"))
        for i in range(count)
    )
    await ctx.cast.person(name).attempts_to(TryToSignInThroughProvider(made_up))


@then("{name} is refused every time")
async def step_refused_every_time(ctx: ScenarioContext, name: str) -> None:
    """Every one of those sign-ins is refused: the pass is not valid."""
    refused = await ctx.cast.person(name).asks_for(TheNoted(PROVIDER_REFUSALS))
    refusals.expect_all_refused(refused, "the pass is not valid", who=name)


@then("the provider was asked for its keys at most {count:d} times")
@then("the provider was asked for its keys at most twice")
def step_keys_fetched(ctx: ScenarioContext, count: int = 2) -> None:
    """The service asked the provider for its keys at most that many times, per server."""
    fetched = ctx.provider.jwks_fetches - ctx.cast.notes.read(KEY_FETCHES_BEFORE)
    # Each server of a deployment keeps the provider's keys on its own.
    servers = security.servers_asking_for_keys(ctx)
    assert fetched <= count * servers, (
        f"the provider was asked for its keys {fetched} times by {servers} server(s)"
    )


@when("{name} signs in through the provider with {owner}'s email")
async def step_sso_with_email(ctx: ScenarioContext, name: str, owner: str) -> None:
    """The person signs in through the provider with another person's email."""
    email = ctx.cast.person(owner).email
    token = ctx.provider.id_token(f"{name.lower()}-{email}", email, name)
    await ctx.cast.person(name).attempts_to(TryToSignInThroughProvider((token,)))


@then("{name} is refused because the account already exists")
async def step_refused_conflict(ctx: ScenarioContext, name: str) -> None:
    """The person is refused: the account already exists."""
    [refused] = await ctx.cast.person(name).asks_for(TheNoted(PROVIDER_REFUSALS))
    refusals.expect_refused(refused, "the account already exists", who=name)


@when("{name} signs in through the provider with {forgery:ProviderForgery}")
async def step_sso_forged(ctx: ScenarioContext, name: str, forgery: str) -> None:
    """The person signs in through the provider showing the forged provider pass described."""
    token = security.provider_forgery(
        forgery, ctx.provider, security.silent_listener(ctx), ctx.cast.person(name).email
    )
    await ctx.cast.person(name).attempts_to(TryToSignInThroughProvider((token,)))


@then("{name} is refused, because {reason:Refusal}")
async def step_refused_because(ctx: ScenarioContext, name: str, reason: str) -> None:
    """The person is refused, for the reason given."""
    [refused] = await ctx.cast.person(name).asks_for(TheNoted(PROVIDER_REFUSALS))
    refusals.expect_refused(refused, reason, who=name)
