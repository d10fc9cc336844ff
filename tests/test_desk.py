"""The hand-off desk (spec §4): offers, answers, expiry, escalation, restart, registration, relay.

Real rules, real gazetteer, real SQLite; the only fake is an Outbox that records what was sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from actions import build_actions
from actions.desk import (
    LEASE,
    SET_HELD,
    SET_OFFERED,
    TIMER_OFFER,
    AdviceError,
    HandoffDesk,
    live_loads,
    load_advice,
    parse_volunteer_option,
    parse_volunteer_text,
)
from actions.routing import load_handoff_rules
from actions.volunteers import Volunteer
from bot.app import Brain, build_desk
from bot.core.case import Case, Slots
from bot.core.clock import FixedClock
from bot.core.conversation import ConversationState
from bot.core.messages import Address, Reply
from bot.core.ports import ActionContext, Timer
from bot.service import desk_address
from bot.storage.sqlite import SqliteStore


class RecordingOutbox:
    """Keeps what the desk sends, per address."""

    def __init__(self) -> None:
        self.sent: list[tuple[Address, Reply]] = []

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        self.sent.extend((address, reply) for reply in replies)

    def to(self, address: Address) -> list[Reply]:
        return [reply for to, reply in self.sent if to == address]

    def texts(self, address: Address) -> str:
        return "\n".join(reply.text for reply in self.to(address))

    def clear(self) -> None:
        self.sent.clear()


def tg(chat_id: str) -> Address:
    return Address(channel="telegram", recipient=chat_id)


PERSON = tg("5550001234")


def volunteer(vid: str, chat: str, commune: str, departments: str, **extra: Any) -> Volunteer:
    row: dict[str, Any] = {
        "id": vid,
        "name": f"Démo {vid.upper()}",
        "association": "Association Démo 93",
        "commune": commune,
        "departments": departments,
        "languages": "fr ar",
        "capacity": 2,
        "telegram_chat_id": chat,
        "phone": f"+3360000{chat}",
    }
    row.update(extra)
    return Volunteer.model_validate(row)


# Near Bobigny (93008), where the person lives: A in Bobigny, B in Montreuil, C in Saint-Denis,
# D in Paris (does not cover 93). Coordinators take no ordinary offer (capacity 0).
ROSTER = [
    volunteer("a", "1001", "93008", "93"),
    volunteer("b", "1002", "93048", "93"),
    volunteer("c", "1003", "93066", "93"),
    volunteer("d", "1004", "75056", "75"),
    volunteer("coord93", "2001", "93008", "93", skills="coordination", capacity=0),
    volunteer("national", "2002", "75056", "", skills="coordination", capacity=0),
]
ADDRESS = {v.id: tg(v.telegram_chat_id or "") for v in ROSTER}


@dataclass
class Desk:
    desk: HandoffDesk
    outbox: RecordingOutbox
    store: SqliteStore
    clock: FixedClock
    brain: Brain

    async def case(self, case_id: str) -> Case:
        case = await self.store.get_case(case_id)
        assert case is not None
        return case

    async def say(self, who: str, text: str | None = None, option: str | None = None) -> str:
        replies = await self.desk.volunteer_message(ADDRESS[who], text, option)
        return "\n".join(reply.text for reply in replies)


async def make_desk(brain: Brain, store: SqliteStore, clock: FixedClock, roster: list[Volunteer]) -> Desk:
    outbox = RecordingOutbox()
    desk = await build_desk(brain, store, outbox, clock, address_key=b"k" * 32, demo_roster=None)
    await desk.import_roster(roster)
    return Desk(desk, outbox, store, clock, brain)


async def new_case(d: Desk, *, note: str = "mon patron s'appelle Dupont", **slots: Any) -> Case:
    """A handed-off case (P1, expired_unprotected) of a person reachable on Telegram."""
    now = d.clock.now()
    values: dict[str, Any] = {
        "language": "fr",
        "consent": True,
        "prefecture": "93",
        "commune": "93008",
        "document": "CST_VPF",
        "expiry_date": dt.date(2026, 3, 3),
        "application_status": "not_filed",
        "removal_order": False,
        "vulnerabilities": frozenset(),
        "note": note,
        "confirm": True,
    }
    values.update(slots)
    filled = Slots.model_validate(values)
    state = ConversationState(id="telegram:person", channel="telegram", created_at=now, updated_at=now)
    state.sender = PERSON
    state.status = "handed_off"
    await d.store.save_conversation(state)
    case = Case(
        id="K7QF9Z",
        conversation_id=state.id,
        channel="telegram",
        slots=filled,
        urgency=d.brain.rules.evaluate(filled, now, "fr"),
        created_at=now,
        updated_at=now,
    )
    await d.store.save_case(case)
    await d.desk.submit(case)
    return case


async def submit_another_case(d: Desk, first: Case) -> None:
    """A second case of the same person, M2N3P4, handed off after the first."""
    second = first.model_copy(update={"id": "M2N3P4", "offers": [], "status": "ready_for_handoff"})
    await d.store.save_case(second)
    await d.desk.submit(second)


async def decline_each_offer(d: Desk, case_id: str, *, times: int) -> list[str]:
    """Whoever the case is offered to says "non", ``times`` times; their replies."""
    replies = []
    for _ in range(times):
        pending = (await d.case(case_id)).offers[-1]
        replies.append(await d.say(pending.volunteer_id, "non"))
    return replies


def action_context(d: Desk, case: Case, *, message_text: str | None = None) -> ActionContext:
    """What the engine gives an action of the person's conversation after the hand-off."""
    return ActionContext(
        conversation_id=case.conversation_id,
        channel="telegram",
        language="fr",
        slots=case.slots,
        now=d.clock.now(),
        cases=d.store,
        case_id=case.id,
        message_text=message_text,
    )


def offered_to(case: Case) -> list[tuple[str, str]]:
    return [(offer.volunteer_id, offer.result) for offer in case.offers]


# -- the lifecycle, table-driven ------------------------------------------------------------------

LIFETIME_P1 = dt.timedelta(hours=2)


@dataclass(frozen=True)
class Step:
    who: str | None = None  # a volunteer's message, or None for time passing (then a tick)
    text: str | None = None
    option: str | None = None
    wait: dt.timedelta = dt.timedelta(0)


def answer(who: str, text: str | None = None, option: str | None = None) -> Step:
    return Step(who=who, text=text, option=option)


def wait(delta: dt.timedelta) -> Step:
    return Step(wait=delta)


SCENARIOS: dict[str, tuple[list[Step], str, list[tuple[str, str]]]] = {
    "expiry goes to the next candidate": (
        [wait(LIFETIME_P1 + dt.timedelta(minutes=1))],
        "offered",
        [("a", "expired"), ("b", "pending")],
    ),
    "decline goes to the next candidate": (
        [answer("a", "non")],
        "offered",
        [("a", "declined"), ("b", "pending")],
    ),
    "decline by button": (
        [answer("a", option="decline:K7QF9Z")],
        "offered",
        [("a", "declined"), ("b", "pending")],
    ),
    "three failures escalate": (
        [answer("a", "NON K7QF9Z"), wait(LIFETIME_P1), answer("c", "non")],
        "escalated",
        [("a", "declined"), ("b", "expired"), ("c", "declined")],
    ),
    "acceptance": (
        [answer("a", "oui")],
        "accepted",
        [("a", "accepted")],
    ),
    "acceptance of the second offer": (
        [answer("a", "Non"), answer("b", option="accept:K7QF9Z")],
        "accepted",
        [("a", "declined"), ("b", "accepted")],
    ),
    "closing with an outcome": (
        [answer("a", "OUI K7QF9Z"), answer("a", "FIN K7QF9Z rdv")],
        "closed",
        [("a", "accepted")],
    ),
    "closing by buttons": (
        [
            answer("a", "oui"),
            answer("a", option="close:K7QF9Z"),
            answer("a", option="close:K7QF9Z:unreachable"),
        ],
        "closed",
        [("a", "accepted")],
    ),
    "an answer after the expiry is too late": (
        [wait(LIFETIME_P1), answer("a", "oui")],
        "offered",
        [("a", "expired"), ("b", "pending")],
    ),
    "someone else's offer cannot be accepted": (
        [answer("b", "OUI K7QF9Z")],
        "offered",
        [("a", "pending")],
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_lifecycle(name: str, brain: Brain, store: SqliteStore, clock: FixedClock) -> None:
    steps, status, offers = SCENARIOS[name]
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    assert offered_to(await d.case(case.id)) == [("a", "pending")]
    for step in steps:
        if step.who is None:
            clock.advance(step.wait)
            await d.desk.tick()
        else:
            await d.say(step.who, step.text, step.option)
    final = await d.case(case.id)
    assert final.status == status
    assert offered_to(final) == offers
    if status == "closed":
        assert final.outcome in ("appointment_obtained", "unreachable")
        assert "clôturé" in d.outbox.texts(PERSON)
    if status == "escalated":
        assert final.escalated_to == ["coord93"]
        assert "ESCALADE" in d.outbox.texts(ADDRESS["coord93"])
        assert d.outbox.texts(ADDRESS["national"]) == ""
        assert "responsables de l'association" in d.outbox.texts(PERSON)


async def test_offer_lifetime_follows_the_urgency(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    offer = (await d.case(case.id)).offers[0]
    assert case.urgency.level == "P1"
    assert offer.expires_at - offer.offered_at == LIFETIME_P1


async def test_the_offer_identifies_nobody_and_the_acceptance_brings_the_summary(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    (offer,) = d.outbox.to(ADDRESS["a"])
    assert "K7QF9Z" in offer.text and "P1" in offer.text
    assert [o.id for o in offer.options] == ["accept:K7QF9Z", "decline:K7QF9Z"]
    for secret in ("Dupont", "Bobigny", "03/03/2026", PERSON.recipient):
        assert secret not in offer.text
    d.outbox.clear()

    reply = await d.say("a", "oui")
    assert "Dupont" in reply and "Bobigny" in reply  # the full summary, after acceptance
    told = d.outbox.texts(PERSON)
    assert "Démo A" in told and "Association Démo 93" in told and "dans les 2 jours" in told
    assert "capture d'écran datée" in told  # the advice file
    assert "+3360000" not in told and "1001" not in told
    assert (await d.case(case.id)).volunteer_id == "a"


async def test_no_candidate_escalates_to_national_coordinators_when_the_department_has_none(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    roster = [v for v in ROSTER if v.id in ("d", "national")]  # nobody for the Rhône
    d = await make_desk(brain, store, clock, roster)
    case = await new_case(d, prefecture="69", commune="69123")
    final = await d.case(case.id)
    # D does not cover 69 but is eligible (any département): first offer to D, then nobody left.
    assert offered_to(final) == [("d", "pending")]
    await d.say("d", "non")
    final = await d.case(case.id)
    assert final.status == "escalated"
    assert final.escalation_stage == "national"
    assert final.escalated_to == ["national"]
    assert "aucun ou aucune bénévole disponible" not in d.outbox.texts(ADDRESS["national"])
    assert "1 proposition(s)" in d.outbox.texts(ADDRESS["national"])


async def test_no_candidate_at_all_escalates_at_once(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    roster = [v for v in ROSTER if v.id in ("coord93", "national")]
    d = await make_desk(brain, store, clock, roster)
    case = await new_case(d)
    final = await d.case(case.id)
    assert final.status == "escalated" and final.offers == []
    assert final.escalation_stage == "department"
    assert "aucun ou aucune bénévole disponible" in d.outbox.texts(ADDRESS["coord93"])

    # Nobody in the département takes it within the offer lifetime: the national coordinators.
    clock.advance(LIFETIME_P1)
    assert await d.desk.tick() == 1
    final = await d.case(case.id)
    assert final.escalation_stage == "national"
    assert final.escalated_to == ["coord93", "national"]
    assert "ESCALADE" in d.outbox.texts(ADDRESS["national"])

    # A coordinator takes it: the others are told, the person too.
    reply = await d.say("national", "OUI K7QF9Z")
    assert "Dupont" in reply
    final = await d.case(case.id)
    assert final.status == "accepted" and final.volunteer_id == "national"
    assert offered_to(final) == [("national", "accepted")]
    assert "pris par Démo NATIONAL" in d.outbox.texts(ADDRESS["coord93"])
    assert "plus valable" in await d.say("coord93", "OUI K7QF9Z")
    assert (await d.case(case.id)).volunteer_id == "national"


async def test_a_restart_in_the_middle_of_an_offer_loses_nothing_and_repeats_nothing(
    brain: Brain, tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "restart.db"
    first_store = SqliteStore(path)
    d = await make_desk(brain, first_store, clock, ROSTER)
    case = await new_case(d)
    await first_store.close()  # the process dies while A's offer is pending

    clock.advance(LIFETIME_P1 + dt.timedelta(seconds=1))
    stores = [SqliteStore(path), SqliteStore(path)]  # two workers after the restart
    outbox = RecordingOutbox()
    desks = [
        await build_desk(brain, s, outbox, clock, address_key=b"k" * 32, demo_roster=None) for s in stores
    ]
    processed = [await desk.tick() for desk in desks]
    assert processed == [1, 0]
    final = await stores[0].get_case(case.id)
    assert final is not None and offered_to(final) == [("a", "expired"), ("b", "pending")]
    assert len(outbox.to(ADDRESS["b"])) == 1
    assert "expiré" in outbox.texts(ADDRESS["a"])
    assert [await desk.tick() for desk in desks] == [0, 0]  # a duplicate tick does nothing
    assert len(outbox.sent) == 2
    for s in stores:
        await s.close()


async def test_a_duplicate_tick_does_nothing(brain: Brain, store: SqliteStore, clock: FixedClock) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    await new_case(d)
    assert await d.desk.tick() == 0  # nothing due yet
    clock.advance(LIFETIME_P1)
    assert await d.desk.tick() == 1
    sent = len(d.outbox.sent)
    assert await d.desk.tick() == 0
    assert await d.desk.tick(clock.now()) == 0
    assert len(d.outbox.sent) == sent


async def test_an_interrupted_run_is_picked_up_again(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """A worker claimed the expiry and died: the lease brings the timer back, and the work is done once."""
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    clock.advance(LIFETIME_P1)
    (timer,) = await store.due_timers(clock.now())
    assert timer.kind == TIMER_OFFER and await store.claim_timer(timer)
    await store.schedule_timer(TIMER_OFFER, case.id, clock.now() + dt.timedelta(minutes=5))  # the lease
    assert await d.desk.tick() == 0
    clock.advance(dt.timedelta(minutes=5))
    assert await d.desk.tick() == 1
    assert offered_to(await d.case(case.id)) == [("a", "expired"), ("b", "pending")]


async def test_capacity_counts_open_cases_and_pending_offers(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    roster = [volunteer("a", "1001", "93008", "93", capacity=1), volunteer("b", "1002", "93048", "93")]
    d = await make_desk(brain, store, clock, roster)
    first = await new_case(d)
    await d.say("a", "oui")
    await submit_another_case(d, first)
    assert offered_to(await d.case("M2N3P4")) == [("b", "pending")]


async def test_relay_both_ways_without_addresses(brain: Brain, store: SqliteStore, clock: FixedClock) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    await d.say("a", "oui")
    d.outbox.clear()

    assert "Transmis" in await d.say("a", "Bonjour, je vous appelle demain à 10 h ?")
    assert d.outbox.texts(PERSON) == "Démo A (bénévole) : Bonjour, je vous appelle demain à 10 h ?"
    assert "Transmis" in await d.say("a", "MSG K7QF9Z Apportez votre passeport")

    relay = build_actions(brain.rules, d.desk)["relay_to_volunteer"]
    context = action_context(d, case, message_text="Oui, merci !")
    result = await relay(context)
    assert result.consumed and result.reply == "relay_sent"
    to_volunteer = d.outbox.texts(ADDRESS["a"])
    assert "Oui, merci !" in to_volunteer and "MSG K7QF9Z" in to_volunteer
    assert PERSON.recipient not in to_volunteer
    assert "+3360000" not in d.outbox.texts(PERSON)

    # Before any acceptance the person's messages are kept for whoever takes the case.
    await store.save_case(case.model_copy(update={"id": "M2N3P4", "status": "offered"}))
    waiting = await relay(dataclasses.replace(context, case_id="M2N3P4"))
    assert waiting.consumed and waiting.reply == "relay_waiting"
    kept = await store.get_case("M2N3P4")
    assert kept is not None and kept.waiting_messages == ["Oui, merci !"]
    # A closed case: the person is reminded it was closed, not promised a volunteer.
    await store.save_case(case.model_copy(update={"id": "T8V9W2", "status": "closed"}))
    closed = await relay(dataclasses.replace(context, case_id="T8V9W2"))
    assert closed.consumed and closed.reply == "handoff_closed"
    # A case not handed off takes nothing (the engine answers as before).
    await store.save_case(case.model_copy(update={"id": "Q5R6S7", "status": "ready_for_handoff"}))
    assert not (await relay(dataclasses.replace(context, case_id="Q5R6S7"))).consumed
    # Without a desk, nothing is relayed.
    assert not (await build_actions(brain.rules)["relay_to_volunteer"](context)).consumed


async def test_registration_with_a_one_time_code(brain: Brain, store: SqliteStore, clock: FixedClock) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    phone = Address(channel="whatsapp", recipient="+33 7 00 00 00 99")
    assert not await d.desk.is_volunteer(phone)
    invitation = await d.desk.create_invitation("b")
    assert await d.desk.handles(phone, f"/start {invitation.code}")
    assert not await d.desk.handles(phone, "bonjour je n'ai pas de rendez-vous")

    welcome = await d.desk.volunteer_message(phone, f"inscription {invitation.code.lower()}", None)
    assert "Bienvenue Démo B" in welcome[0].text
    assert await d.desk.is_volunteer(Address(channel="whatsapp", recipient="+33700000099"))
    assert (await d.desk.volunteer_for(phone)) == ROSTER[1]
    # The binding is stored under a keyed hash, not the number.
    bindings = await store.list_records("volunteer_address")
    assert all("+337" not in str(b) and "700000099" not in str(b) for b in bindings)

    again = await d.desk.volunteer_message(tg("9999"), f"INSCRIPTION {invitation.code}", None)
    assert "déjà utilisé" in again[0].text
    assert not await d.desk.is_volunteer(tg("9999"))

    late = await d.desk.create_invitation("c")
    clock.advance(dt.timedelta(days=7, seconds=1))
    expired = await d.desk.volunteer_message(tg("8888"), f"/start {late.code}", None)
    assert "expiré" in expired[0].text or "déjà utilisé" in expired[0].text
    assert not await d.desk.is_volunteer(tg("8888"))


async def test_offers_go_to_the_registered_address(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    phone = Address(channel="sms", recipient="+33700000001")
    invitation = await d.desk.create_invitation("a")
    await d.desk.volunteer_message(phone, f"INSCRIPTION {invitation.code}", None)
    await new_case(d)
    assert "OUI K7QF9Z" in d.outbox.texts(phone)
    assert d.outbox.to(ADDRESS["a"]) == []
    assert "Dupont" in "\n".join(r.text for r in await d.desk.volunteer_message(phone, "OUI", None))


async def test_roster_contacts_are_recognised_and_reimport_replaces(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    assert await d.desk.is_volunteer(ADDRESS["a"])
    assert await d.desk.is_volunteer(Address(channel="sms", recipient="+33 6 00 00 10 01"))
    change = await d.desk.import_roster(ROSTER[1:])
    assert change.removed == ["a"] and change.added == []
    assert not await d.desk.is_volunteer(ADDRESS["a"])
    assert await d.desk.is_volunteer(ADDRESS["b"])


async def test_an_erased_case_is_forgotten(brain: Brain, store: SqliteStore, clock: FixedClock) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    await store.erase_conversation(case.conversation_id)
    clock.advance(LIFETIME_P1)
    assert await d.desk.tick() == 1
    assert await store.list_records("pending_offer") == []
    assert await store.due_timers(clock.now() + dt.timedelta(days=30)) == []
    assert "effacer ses données" in await d.say("a", "OUI K7QF9Z")


async def test_an_erased_accepted_case_frees_its_volunteer(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    roster = [volunteer("a", "1001", "93008", "93", capacity=1), volunteer("b", "1002", "93048", "93")]
    d = await make_desk(brain, store, clock, roster)
    case = await new_case(d)
    await d.say("a", "oui")
    await store.erase_conversation(case.conversation_id)
    assert "MSG CODE" in await d.say("a", "Bonjour ?")  # no open case left to write to
    await store.save_case(case.model_copy(update={"id": "M2N3P4"}))
    await d.desk.submit(case.model_copy(update={"id": "M2N3P4"}))
    assert offered_to(await d.case("M2N3P4")) == [("a", "pending")]  # A's capacity is free again


async def test_erasing_through_the_flow_withdraws_the_case_and_tells_its_volunteer(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    roster = [volunteer("a", "1001", "93008", "93", capacity=1), volunteer("b", "1002", "93048", "93")]
    d = await make_desk(brain, store, clock, roster)
    case = await new_case(d)
    await d.say("a", "oui")
    assert (await live_loads(store, roster))["a"] == 1
    d.outbox.clear()
    withdraw = build_actions(brain.rules, d.desk)["withdraw_case"]
    context = action_context(d, case)
    await withdraw(context)
    assert "K7QF9Z est retiré" in d.outbox.texts(ADDRESS["a"])
    assert d.outbox.to(ADDRESS["b"]) == []
    assert (await live_loads(store, roster))["a"] == 0
    assert await store.list_records("assignment") == []
    assert await store.due_timers(clock.now() + dt.timedelta(days=30)) == []


async def test_loads_count_offers_and_accepted_cases_until_closed(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    await new_case(d)
    assert (await live_loads(store, ROSTER))["a"] == 1  # the offer waiting for an answer
    await d.say("a", "non")
    loads = await live_loads(store, ROSTER)
    assert (loads["a"], loads["b"]) == (0, 1)
    await d.say("b", "oui")
    assert (await live_loads(store, ROSTER))["b"] == 1
    await d.say("b", "FIN K7QF9Z rdv")
    assert (await live_loads(store, ROSTER))["b"] == 0


async def test_reconcile_makes_the_sets_match_the_records(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    await new_case(d)
    assert await d.desk.reconcile() == 0
    # As after an interrupted update: a stale entry, and a live offer missing from its set.
    await store.add_to_set(SET_HELD, "c", "ZZZZZZ")
    await store.remove_from_set(SET_OFFERED, "a", "K7QF9Z")
    assert (await live_loads(store, ROSTER))["a"] == 0
    assert await d.desk.reconcile() == 2
    loads = await live_loads(store, ROSTER)
    assert (loads["a"], loads["c"]) == (1, 0)
    # `tick` runs it too, at most every RECONCILE_EVERY.
    await store.add_to_set(SET_HELD, "c", "ZZZZZZ")
    clock.advance(dt.timedelta(minutes=11))
    await d.desk.tick()
    assert (await live_loads(store, ROSTER))["c"] == 0


async def test_a_stale_entry_in_one_volunteers_set_does_not_free_another_volunteers_case(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    await new_case(d)
    await d.say("a", "non")
    await d.say("b", "oui")  # B holds K7QF9Z
    await store.add_to_set(SET_HELD, "a", "K7QF9Z")  # as after an interrupted update
    assert "K7QF9Z" not in (await d.say("a", "DOSSIERS")).split("Dossiers en cours :")[1]
    assert await store.set_members(SET_HELD, "a") == set()
    assert (await live_loads(store, ROSTER))["b"] == 1
    assert [r["volunteer_id"] for r in await store.list_records("assignment")] == ["b"]


async def test_a_roster_imported_by_another_process_is_used_at_the_next_offer(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    assert [v.id for v in (await d.desk.roster()).reachable][:1] == ["a"]
    other = await build_desk(brain, store, RecordingOutbox(), clock, address_key=b"k" * 32, demo_roster=None)
    await other.import_roster(ROSTER[1:])  # "a" leaves the roster, in another process
    case = await new_case(d)
    assert offered_to(await d.case(case.id)) == [("b", "pending")]


async def test_unknown_senders_and_help(brain: Brain, store: SqliteStore, clock: FixedClock) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    stranger = await d.desk.volunteer_message(tg("4242"), "OUI K7QF9Z", None)
    assert "INSCRIPTION" in stranger[0].text
    assert "MSG CODE" in await d.say("a", "aide")
    assert "aucune" in await d.say("a", "dossiers")
    assert "Précisez" in await d.say("a", "oui")  # no pending offer


@pytest.mark.parametrize(
    ("text", "verb", "case_id", "argument"),
    [
        ("OUI", "accept", None, None),
        ("oui k7qf9z", "accept", "K7QF9Z", None),
        ("Non K7QF9Z", "decline", "K7QF9Z", None),
        ("Oui, je vous appelle demain", "text", None, "Oui, je vous appelle demain"),
        ("FIN K7QF9Z rdv", "close", "K7QF9Z", "rdv"),
        ("fin référé", "close", None, "référé"),
        ("FIN K7QF9Z", "close", "K7QF9Z", None),
        ("Fin de semaine je rappelle", "text", None, "Fin de semaine je rappelle"),
        ("MSG K7QF9Z bonjour à vous", "message", "K7QF9Z", "bonjour à vous"),
        ("msg bonjour", "message", None, "bonjour"),
        ("/start ABCD-EFGH", "register", None, "ABCD-EFGH"),
        ("INSCRIPTION abcdefgh", "register", None, "ABCDEFGH"),
        ("/start", "text", None, "/start"),
        ("VOIR K7QF9Z", "show", "K7QF9Z", None),
        ("voir", "show", None, None),
        ("Voir vous demain", "text", None, "Voir vous demain"),
        ("PAUSE", "pause", None, None),
        ("reprise", "resume", None, None),
        ("pause déjeuner je rappelle", "text", None, "pause déjeuner je rappelle"),
    ],
)
def test_volunteer_commands(text: str, verb: str, case_id: str | None, argument: str | None) -> None:
    command = parse_volunteer_text(text)
    assert (command.verb, command.case_id, command.argument) == (verb, case_id, argument)


def test_volunteer_buttons() -> None:
    assert parse_volunteer_option("accept:K7QF9Z") is not None
    assert parse_volunteer_option("close:K7QF9Z:resolved") is not None
    assert parse_volunteer_option("accept:nope") is None
    assert parse_volunteer_option("yes") is None


def test_the_shipped_advice_is_complete(brain: Brain) -> None:
    advice = load_advice(languages=brain.texts.languages, rule_names=brain.rules.rule_names)
    for lang in ("fr", "en", "ar", "es"):
        general = advice.for_case("default", lang)
        assert len(general) >= 2 and all(text.strip() for text in general)
        assert len(advice.for_case("detained", lang)) > len(general)


def test_advice_problems_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "advice.yml"
    path.write_text(
        "meanwhile:\n"
        "  - fr: Gardez les captures.\n"
        "    en: Keep screenshots.\n"
        "  - rules: [no_such_rule]\n"
        "    fr: a\n    en: b\n    ar: c\n    es: d\n"
        "    xx_y: e\n",
        encoding="utf-8",
    )
    with pytest.raises(AdviceError) as caught:
        load_advice(path, rule_names=["default"])
    message = str(caught.value)
    assert "item 1: no text in 'ar'" in message and "item 1: no text in 'es'" in message
    assert "unknown rule 'no_such_rule'" in message and "'xx_y'" in message


async def test_erasing_after_a_restart_withdraws_the_cases_of_both_triages(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """After "recommencer" a conversation has two cases; erasing must take both off the desk."""
    from tests.conversation import Conversation

    d = await make_desk(brain, store, clock, ROSTER)
    convo = Conversation(brain.engine(store, clock, d.desk), store)
    answers = {
        "consent": "oui",
        "prefecture": "Bobigny",
        "document": "carte vie privée et familiale",
        "expiry_date": "elle a expiré le 3 mars",
        "application_status": "non",
        "removal_order": "non",
        "note": "non merci",
        "confirm": "oui",
    }

    async def triage() -> None:
        await convo.say("Bonjour, je n'ai pas de rendez-vous")
        for _ in range(30):
            if convo.asking is None:
                return
            await convo.say(answers.get(convo.asking, "/skip"))
        raise AssertionError(f"still asking {convo.asking}")

    await triage()
    await convo.say("recommencer")
    await convo.say("oui")
    await triage()
    cases = await store.cases_for_conversation(convo.id)
    assert len(cases) == 2 and all(case.offers for case in cases)
    await convo.say("SUPPRIMER")
    await convo.say("oui")
    assert await store.cases_for_conversation(convo.id) == []
    assert sum((await live_loads(store, ROSTER)).values()) == 0
    assert await store.list_records("assignment") == []
    assert await store.due_timers(clock.now() + dt.timedelta(days=30)) == []


async def test_a_case_erased_while_the_desk_held_a_copy_is_offered_to_nobody(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """The desk read the case (its offer expired, a tick re-routes it); the person erases
    everything; the desk goes on with its copy: nothing may be written or sent."""
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    clock.advance(dt.timedelta(hours=3))  # a's offer expired
    held_by_the_desk = await d.case(case.id)
    await build_actions(brain.rules, d.desk)["withdraw_case"](action_context(d, case))
    await store.erase_conversation(case.conversation_id)
    d.outbox.clear()

    await d.desk.submit(held_by_the_desk)

    assert await store.get_case(case.id) is None
    # Nobody gets the case's summary; only "a" hears, again, that its offer is over.
    assert {who: d.outbox.texts(ADDRESS[who]) for who in ("b", "c", "d")} == dict.fromkeys("bcd", "")
    assert "Nouvelle demande" not in d.outbox.texts(ADDRESS["a"])
    assert await store.due_timers(clock.now() + dt.timedelta(days=30)) == []
    assert sum((await live_loads(store, ROSTER)).values()) == 0


async def test_an_escalation_keeps_the_urgency_evaluated_when_it_happens(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Coordinators see the urgency as it is when nobody took the case, not as at the hand-off
    (a removal order's hours left keep going down)."""
    coordinators = [v for v in ROSTER if v.id in ("coord93", "national")]
    d = await make_desk(
        brain, store, clock, [volunteer("a", "1001", "93008", "93", skills="oqtf"), *coordinators]
    )
    case = await new_case(
        d, removal_order=True, removal_order_date=(clock.now() - dt.timedelta(days=1)).date()
    )
    first = await d.case(case.id)
    assert [offer.volunteer_id for offer in first.offers] == ["a"]
    clock.advance(first.offers[-1].expires_at - clock.now() + dt.timedelta(minutes=1))
    await d.desk.tick()
    escalated = await d.case(case.id)
    assert escalated.status == "escalated"
    now_due = brain.rules.evaluate(escalated.slots, clock.now(), "fr")
    assert escalated.urgency.hours_left == now_due.hours_left != first.urgency.hours_left


async def test_a_volunteer_writing_from_their_roster_phone_is_known_on_every_phone_channel(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """The roster has +33600001001 for A. WhatsApp gives it as `33600001001`; Kannel as
    `33600001001` too, Twilio as `+33600001001`: each is A, who may answer an offer by SMS."""
    d = await make_desk(brain, store, clock, ROSTER)
    for sender in (
        Address(channel="whatsapp", recipient="33600001001"),
        Address(channel="whatsapp", recipient="+33600001001"),
        desk_address(Address(channel="kannel", recipient="33600001001")),
        desk_address(Address(channel="twilio", recipient="+33600001001")),
    ):
        assert (await d.desk.volunteer_for(sender)) == ROSTER[0], sender
    assert not await d.desk.is_volunteer(
        Address(channel="kannel", recipient="33600001001")
    )  # as the gateway gives it
    assert not await d.desk.is_volunteer(desk_address(Address(channel="kannel", recipient="33699999999")))


async def test_a_hurry_stopped_half_way_is_finished_when_its_lease_comes_back(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """A process took the offer's timer to hurry it (the case became urgent) and stopped at once:
    when the claim's lease comes back, the desk finishes the hurry, and A can still accept."""
    qualified = [volunteer(v, c, commune, "93", skills="oqtf") for v, c, commune in (("a", "1001", "93008"),)]
    d = await make_desk(brain, store, clock, qualified)
    case = await new_case(d, expiry_date=clock.now().date() + dt.timedelta(days=200))
    offered = await d.case(case.id)
    assert offered.urgency.level in ("P3", "P4") and offered.offers[-1].volunteer_id == "a"
    old_expiry = offered.offers[-1].expires_at
    assert old_expiry - clock.now() >= dt.timedelta(hours=48)

    # The person's turn (another process) records an OQTF of yesterday...
    slots = offered.slots.model_copy(
        update={"removal_order": True, "removal_order_date": clock.now().date() - dt.timedelta(days=1)}
    )
    urgency = brain.rules.evaluate(slots, clock.now(), "fr")
    assert urgency.level < offered.urgency.level  # "P2" < "P3": more urgent
    update = {"slots": slots, "urgency": urgency}
    await store.update_case(case.id, lambda fresh: fresh.model_copy(update=update))
    # ...and the hurry took the timer, then its process died (the claim leaves a lease).
    assert await store.claim_timer(Timer(TIMER_OFFER, case.id, old_expiry))
    await store.schedule_timer(TIMER_OFFER, case.id, clock.now() + LEASE)

    clock.advance(LEASE + dt.timedelta(seconds=1))
    await d.desk.tick()
    hurried = await d.case(case.id)
    lifetime = load_handoff_rules().offer_lifetime(hurried.urgency.level)
    assert hurried.offers[-1].expires_at == clock.now() + lifetime
    assert "devenu plus urgent" in d.outbox.to(ADDRESS["a"])[-1].text
    assert "plus valable" not in await d.say("a", f"oui {case.id}")
    assert (await d.case(case.id)).status == "accepted"


async def test_an_escalated_case_that_becomes_more_urgent_is_told_again_and_moves_up_sooner(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Nobody could take a low-urgency case: it went to the département's coordinators, with two
    days before the national ones. The person then tells of an OQTF: the coordinators hear it,
    and the national ones come in at the new level's answer time, not two days later."""
    roster = [v for v in ROSTER if v.id in ("coord93", "national")]
    d = await make_desk(brain, store, clock, roster)
    case = await new_case(d, expiry_date=clock.now().date() + dt.timedelta(days=200))
    escalated = await d.case(case.id)
    assert escalated.status == "escalated" and escalated.urgency.level in ("P3", "P4")
    told_before = len(d.outbox.to(ADDRESS["coord93"]))

    slots = escalated.slots.model_copy(
        update={"removal_order": True, "removal_order_date": clock.now().date() - dt.timedelta(days=1)}
    )
    update = {"slots": slots, "urgency": brain.rules.evaluate(slots, clock.now(), "fr")}
    now_urgent = await store.update_case(case.id, lambda fresh: fresh.model_copy(update=update))
    assert now_urgent is not None and now_urgent.urgency.level < escalated.urgency.level
    await d.desk.urgency_updated(now_urgent, clock.now(), escalated.urgency.level)

    notice = d.outbox.to(ADDRESS["coord93"])[-1]
    assert len(d.outbox.to(ADDRESS["coord93"])) == told_before + 1
    assert "plus urgent" in notice.text and case.id in notice.text and "mon patron" not in notice.text
    # The same answers again (a correction of something else) tell nobody again.
    await d.desk.urgency_updated(now_urgent, clock.now(), now_urgent.urgency.level)
    assert len(d.outbox.to(ADDRESS["coord93"])) == told_before + 1

    clock.advance(load_handoff_rules().offer_lifetime(now_urgent.urgency.level) + dt.timedelta(minutes=1))
    assert await d.desk.tick() == 1
    assert (await d.case(case.id)).escalation_stage == "national"
    # A coordinator can still take it.
    assert "plus valable" not in await d.say("coord93", f"oui {case.id}")
    assert (await d.case(case.id)).status == "accepted"


async def test_an_answer_while_the_desk_holds_the_offer_a_moment_is_taken_when_it_lets_go(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Another desk actor (a hurry) holds the offer's timer for a moment: A's "oui" waits for it
    rather than being told the offer is gone."""
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    offer = (await d.case(case.id)).offers[-1]
    assert offer.volunteer_id == "a"
    assert await store.claim_timer(Timer(TIMER_OFFER, case.id, offer.expires_at))

    async def let_go() -> None:
        await asyncio.sleep(0.05)
        await store.schedule_timer(TIMER_OFFER, case.id, offer.expires_at)

    answer, _ = await asyncio.gather(d.say("a", f"oui {case.id}"), let_go())
    assert "plus valable" not in answer
    assert (await d.case(case.id)).status == "accepted"


async def test_a_bare_number_answers_the_numbered_menu_of_an_sms(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Found by a review of the volunteers' side: by SMS the offer ends with "1 Accepter / 2
    Refuser" and the summary with "1 Clore le dossier"; a "1" got the help text, or was relayed
    to the person as "Démo A (bénévole) : 1"."""
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    d.outbox.clear()
    await d.say("a", "1")
    accepted = await store.get_case(case.id)
    assert accepted is not None and accepted.status == "accepted" and accepted.volunteer_id == "a"
    assert "(bénévole) : 1" not in d.outbox.texts(PERSON)
    outcomes = await d.say("a", "1")
    assert "Quel résultat" in outcomes
    await d.say("a", "1")  # the first outcome of the menu just shown
    closed = await store.get_case(case.id)
    assert closed is not None and closed.status == "closed"
    assert "(bénévole) : 1" not in d.outbox.texts(PERSON)


async def test_a_bare_two_declines_the_one_offer_waiting(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    await d.say("a", "2")
    moved = await store.get_case(case.id)
    assert moved is not None and moved.offers[0].result == "declined" and moved.offers[-1].volunteer_id != "a"


async def test_a_sentence_answering_an_offer_is_not_relayed_to_the_person_held(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """ "Non désolée, je ne peux pas prendre celui-là" with an offer waiting and one case held was
    sent to that case's person; the volunteer is asked what they meant instead."""
    d = await make_desk(brain, store, clock, ROSTER)
    first = await new_case(d)
    await d.say("a", "oui")
    await submit_another_case(d, first)
    offered = await store.get_case("M2N3P4")
    assert offered is not None and offered.offers[-1].volunteer_id == "a"
    d.outbox.clear()
    answer = await d.say("a", "Non désolée, je ne peux pas prendre celui-là")
    assert "M2N3P4" in answer and "NON M2N3P4" in answer
    assert d.outbox.texts(PERSON) == ""


async def test_a_roster_without_coordinators_escalates_to_every_volunteer_not_to_nobody(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Found by a review of the volunteers' side: with no coordinator in the roster, a case every
    candidate declined was escalated to nobody, reminded to nobody, and never offered again."""
    roster = [v for v in ROSTER if v.id in ("a", "b", "d")]
    d = await make_desk(brain, store, clock, roster)
    case = await new_case(d)
    await decline_each_offer(d, case.id, times=3)
    final = await d.case(case.id)
    assert final.status == "escalated"
    assert sorted(final.escalated_to) == ["a", "b", "d"]
    assert "ESCALADE" in d.outbox.texts(ADDRESS["b"])
    await d.say("b", f"OUI {case.id}")
    taken = await d.case(case.id)
    assert taken.status == "accepted" and taken.volunteer_id == "b"


async def test_the_national_level_is_reminded_at_the_pace_of_the_urgency(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """A P0 case (detained) escalated nationally was reminded once a day against 48 hours to
    appeal; now at its level's answer time, at least an hour."""
    roster = [v for v in ROSTER if v.id == "national"]
    d = await make_desk(brain, store, clock, roster)
    case = await new_case(d, removal_order=True, removal_order_date=dt.date(2026, 11, 25), custody="detained")
    escalated = await d.case(case.id)
    assert escalated.urgency.level == "P0" and escalated.escalation_stage == "national"
    d.outbox.clear()
    clock.advance(dt.timedelta(hours=1))
    assert await d.desk.tick() == 1
    assert "rappel" in d.outbox.texts(ADDRESS["national"])


async def test_what_the_person_writes_while_waiting_reaches_the_volunteer_who_takes_the_case(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Found by a review of the volunteers' side: "toujours au CRA, aidez-moi" written while the
    case waited for a volunteer got "already transmitted" and reached nobody."""
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    assert await d.desk.relay_from_person(case.id, "toujours au CRA, aidez-moi") == "relay_waiting"
    taken = await d.say("a", "oui")
    assert "Écrit par la personne en attendant" in taken and "toujours au CRA, aidez-moi" in taken
    held = await store.get_case(case.id)
    assert held is not None and held.status == "accepted" and held.waiting_messages == []


async def test_the_refusal_that_escalates_says_so_and_a_mistyped_code_is_named(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """The third volunteer to decline was told "proposé à quelqu'un d'autre" although the case
    went to the coordination; "OUI ABCDEF" (a typo) was told the person may have erased their data."""
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    replies = await decline_each_offer(d, case.id, times=3)
    assert (await d.case(case.id)).status == "escalated"
    assert "proposé à quelqu'un d'autre" in replies[0] and "passe à la coordination" in replies[-1]
    typo = await d.say("d", "OUI ABCDEF")
    assert "vérifiez le code" in typo


async def test_a_volunteer_reads_the_summary_of_their_case_again_and_only_theirs(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Found by a review of the volunteers' side: a summary lost (scrolled away, another phone)
    could not be had again."""
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    assert "Dupont" not in await d.say("a", f"VOIR {case.id}")  # offered, not accepted: nothing
    first = await d.say("a", "oui")
    again = await d.say("a", "voir")  # their only case: the code may be left out
    assert "Dupont" in again and again in first
    assert "Dupont" not in await d.say("b", f"VOIR {case.id}")  # not theirs
    await d.say("a", f"FIN {case.id} RDV")
    assert "Dupont" not in await d.say("a", f"VOIR {case.id}")  # closed


async def test_a_paused_volunteer_is_offered_nothing_until_they_resume(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    assert "REPRISE" in await d.say("a", "PAUSE")
    assert "En pause" in await d.say("a", "DOSSIERS")
    case = await new_case(d)
    assert offered_to(await d.case(case.id)) == [("b", "pending")]  # a, the nearest, is skipped
    await d.desk.import_roster(ROSTER)  # the association's file imported again: still paused
    await d.say("b", "non")
    assert offered_to(await d.case(case.id))[-1] == ("c", "pending")
    assert "de nouveau" in await d.say("a", "REPRISE")
    await d.say("c", "non")
    assert offered_to(await d.case(case.id))[-1] == ("a", "pending")


async def test_a_volunteer_accepting_by_sms_gets_the_short_summary_and_the_whole_on_request(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    case = await new_case(d)
    by_sms = Address(channel="sms", recipient="+33600001001")  # a's roster phone
    replies = await d.desk.volunteer_message(by_sms, "oui", None)
    summary = replies[0].text
    assert "P1" in summary and "Règle" not in summary and len(summary) <= 459
    assert f"VOIR {case.id}" in replies[-1].text
    whole = "\n".join(r.text for r in await d.desk.volunteer_message(by_sms, f"VOIR {case.id}", None))
    assert "Règle" in whole and "Dupont" in whole


async def test_a_paused_volunteer_is_not_among_the_volunteers_an_escalation_falls_back_to(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Found by a review: with no coordinator in the roster, the escalation reached a volunteer
    who had paused."""
    roster = [v for v in ROSTER if v.id in ("a", "b")]
    d = await make_desk(brain, store, clock, roster)
    await d.say("a", "PAUSE")
    case = await new_case(d)
    await decline_each_offer(d, case.id, times=1)  # b, the only one not paused
    final = await d.case(case.id)
    assert final.status == "escalated" and final.escalated_to == ["b"]
    assert "ESCALADE" not in d.outbox.texts(ADDRESS["a"])


async def test_a_mistyped_code_after_voir_is_named_not_relayed_to_the_person(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    d = await make_desk(brain, store, clock, ROSTER)
    await new_case(d)
    await d.say("a", "oui")
    d.outbox.clear()
    assert "Aucun dossier M7BKQ" in await d.say("a", "VOIR M7BKQ")
    assert d.outbox.to(PERSON) == []


async def test_a_volunteer_on_sms_told_a_case_became_more_urgent_gets_the_short_summary(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Found by a code review: the whole summary (9 segments or more) went by SMS."""
    by_sms_only = [
        v.model_copy(update={"telegram_chat_id": None, "skills": ["oqtf"]}) if v.id == "a" else v
        for v in ROSTER
    ]
    d = await make_desk(brain, store, clock, by_sms_only)
    case = await new_case(d, removal_order=True, removal_order_date=dt.date(2026, 11, 20), custody="free")
    phone = Address(channel="sms", recipient="+33600001001")
    await d.desk.volunteer_message(phone, "oui", None)
    d.outbox.clear()
    taken = await d.case(case.id)
    detained = taken.slots.model_copy(update={"custody": "detained"})
    urgent = taken.model_copy(
        update={"slots": detained, "urgency": brain.rules.evaluate(detained, clock.now(), "fr")}
    )
    await store.save_case(urgent)
    await d.desk.urgency_updated(urgent, clock.now(), taken.urgency.level)
    told = d.outbox.texts(phone)
    assert "plus urgent (P0)" in told and f"VOIR {case.id}" in told and "Règle" not in told
