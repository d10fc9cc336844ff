"""A whole hand-off through the real engine and SQLite (issue #4): triage → offer to A → decline →
offer to B → acceptance → messages both ways → closing. Each side sees what it should, nothing more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from actions.desk import HandoffDesk
from actions.routing import load_handoff_rules
from actions.volunteers import Volunteer
from bot.app import Brain, build_desk
from bot.core.clock import FixedClock
from bot.core.messages import Address, InboundMessage, Reply
from bot.storage.sqlite import SqliteStore
from tests.test_desk import RecordingOutbox, tg, volunteer

PERSON = Address(channel="telegram", recipient="5550001234")
NOTE = "mon employeur Dupont me menace de licenciement"
ANSWERS = {
    "language": "français",
    "consent": "oui",
    "prefecture": "j'habite à Bobigny",
    "document": "carte vie privée et familiale",
    "expiry_date": "elle a expiré le 3 mars",
    "application_status": "non, impossible d'avoir un rendez-vous",
    "removal_order": "non",
    "attempts_since": "depuis septembre",
    "evidence": "oui",
    "vulnerabilities": "j'ai deux enfants",
    "note": NOTE,
    "confirm": "oui",
}
# A in Bobigny is offered the case first, B in Montreuil next.
A = volunteer("a", "1001", "93008", "93", phone="+33611111111")
B = volunteer("b", "1002", "93048", "93", phone="+33622222222")
A_AT, B_AT = tg("1001"), tg("1002")


async def qualified_desk(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> tuple[RecordingOutbox, HandoffDesk, Callable[[str], Awaitable[list[Reply]]]]:
    """A and B, both with the "oqtf" skill, and the person writing on Telegram through the engine."""
    outbox = RecordingOutbox()
    desk = await build_desk(brain, store, outbox, clock, address_key=b"e" * 32, demo_roster=None)
    await desk.import_roster([v.model_copy(update={"skills": ["oqtf"]}) for v in (A, B)])
    engine = brain.engine(store, clock, desk)

    async def say(text: str) -> list[Reply]:
        message = InboundMessage(
            conversation_id=f"{PERSON.channel}:{PERSON.recipient}",
            channel=PERSON.channel,
            text=text,
            sender=PERSON,
        )
        return await engine.handle(message)

    return outbox, desk, say


def texts(replies: list[Reply]) -> str:
    return "\n".join(reply.text for reply in replies)


async def test_a_whole_hand_off(brain: Brain, store: SqliteStore, clock: FixedClock) -> None:
    outbox = RecordingOutbox()
    desk = await build_desk(brain, store, outbox, clock, address_key=b"e" * 32, demo_roster=None)
    await desk.import_roster([A, B])
    engine = brain.engine(store, clock, desk)

    async def deliver(sender: Address, text: str | None = None, option: str | None = None) -> list[Reply]:
        if await desk.handles(sender, text):
            return await desk.volunteer_message(sender, text, option)
        message = InboundMessage(
            conversation_id=f"{sender.channel}:{sender.recipient}",
            channel=sender.channel,
            text=text,
            option=option,
            sender=sender,
        )
        return await engine.handle(message)

    # 1. The triage, answered slot by slot as the evaluation runner does.
    person_saw: list[Reply] = await deliver(PERSON, "Bonjour, je n'ai pas de rendez-vous")
    for _ in range(30):
        question = next((r for r in reversed(person_saw[-3:]) if r.asking), None)
        if question is None or question.asking is None:
            break
        person_saw += await deliver(PERSON, ANSWERS.get(question.asking, "/skip"))
    assert "Un ou une bénévole vous contactera" in texts(person_saw)
    (case,) = await store.cases_for_conversation("telegram:5550001234")
    assert case.urgency.level == "P1" and case.slots.commune == "93008"

    # 2. The offer went to A at once, and identifies nobody.
    (offer,) = outbox.to(A_AT)
    for secret in (NOTE, "Dupont", "Bobigny", PERSON.recipient, "03/03/2026"):
        assert secret not in offer.text
    assert "93" in offer.text and case.id in offer.text
    assert outbox.to(B_AT) == []

    # 3. A declines (button): B gets the offer and accepts by SMS-style text.
    assert "noté" in texts(await deliver(A_AT, option=f"decline:{case.id}"))
    (offer_b,) = outbox.to(B_AT)
    assert NOTE not in offer_b.text
    summary = texts(await deliver(B_AT, f"oui {case.id}"))
    assert NOTE in summary and "Bobigny" in summary  # the full summary comes after acceptance
    assert PERSON.recipient not in summary

    # 4. The person is told who helps, and what to do meanwhile.
    news = outbox.texts(PERSON)
    assert "Démo B (Association Démo 93) va vous aider" in news and "dans les 2 jours" in news
    assert "capture d'écran datée" in news
    assert "Démo A" not in news

    # 5. Messages both ways, through the bot.
    assert "Transmis" in texts(await deliver(B_AT, "Bonjour, pouvez-vous m'envoyer votre titre en photo ?"))
    assert (
        outbox.to(PERSON)[-1].text
        == "Démo B (bénévole) : Bonjour, pouvez-vous m'envoyer votre titre en photo ?"
    )
    answer = await deliver(PERSON, "Oui je vous l'envoie ce soir")
    assert texts(answer) == "Message transmis à votre bénévole."
    to_b = outbox.to(B_AT)[-1].text
    assert "Oui je vous l'envoie ce soir" in to_b and f"MSG {case.id}" in to_b

    # 6. B closes the case with an outcome; the person is told.
    assert "clos" in texts(await deliver(B_AT, f"FIN {case.id} rdv"))
    closed = await store.get_case(case.id)
    assert closed is not None and closed.status == "closed" and closed.outcome == "appointment_obtained"
    assert [(o.volunteer_id, o.result) for o in closed.offers] == [("a", "declined"), ("b", "accepted")]
    assert "clôturé" in outbox.to(PERSON)[-1].text

    # Each side saw nothing of the other's addresses, and A nothing after declining.
    person_side = texts(person_saw) + outbox.texts(PERSON) + texts(answer)
    for volunteer_data in ("+33622222222", "+33611111111", "1002", "1001", "Démo A"):
        assert volunteer_data not in person_side
    volunteer_side = outbox.texts(A_AT) + outbox.texts(B_AT) + summary
    assert PERSON.recipient not in volunteer_side and "telegram:" not in volunteer_side
    assert outbox.to(A_AT) == [offer]
    assert {address for address, _ in outbox.sent} == {PERSON, A_AT, B_AT}


async def early_hand_off_then_an_oqtf(
    brain: Brain, store: SqliteStore, clock: FixedClock, roster: list[Volunteer], *, escalated: bool = False
) -> tuple[HandoffDesk, RecordingOutbox, str]:
    """The person asks for a human before saying much: the case goes out at a low urgency, with
    days to answer, to A. Then they answer the rest: an OQTF received yesterday."""
    outbox = RecordingOutbox()
    desk = await build_desk(brain, store, outbox, clock, address_key=b"e" * 32, demo_roster=None)
    await desk.import_roster(roster)
    engine = brain.engine(store, clock, desk)

    async def say(text: str) -> list[Reply]:
        conversation = f"{PERSON.channel}:{PERSON.recipient}"
        message = InboundMessage(
            conversation_id=conversation, channel=PERSON.channel, text=text, sender=PERSON
        )
        return await engine.handle(message)

    for text in ("Bonjour, je n'ai pas de rendez-vous", "oui", "je veux parler à un humain", "un humain svp"):
        await say(text)
    person_saw = await say("Bobigny")
    (case,) = await store.cases_for_conversation("telegram:5550001234")
    assert case.human_requested and case.urgency.level in ("P3", "P4")
    if escalated:  # nobody to offer it to: the coordinators have it
        assert case.status == "escalated"
    else:
        assert case.status == "offered" and case.offers[-1].volunteer_id == "a"
        assert case.offers[-1].expires_at - clock.now() >= dt.timedelta(hours=48)
        assert len(outbox.to(A_AT)) == 1

    later = {**ANSWERS, "removal_order": "oui", "removal_order_date": "hier"}
    everything_said: list[Reply] = []
    for _ in range(30):
        question = next((r for r in reversed(person_saw[-3:]) if r.asking), None)
        if question is None or question.asking is None:
            break
        person_saw = await say(later.get(question.asking, "/skip"))
        everything_said += person_saw
        if question.asking == "removal_order_date":
            # The case is brought up to date at each answer: the volunteer reads the OQTF now.
            dated = await store.get_case(case.id)
            assert dated is not None and dated.slots.removal_order_date is not None
    urgent = await store.get_case(case.id)
    assert urgent is not None and urgent.urgency.level in ("P0", "P1") and urgent.slots.removal_order
    # The person is told too: they were told "information" at the hand-off.
    told = texts(everything_said)
    assert told.count("plus urgente") == 1  # told once, when the OQTF was said
    return desk, outbox, case.id


async def test_an_early_hand_off_that_becomes_urgent_hurries_its_offer(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """A can take removal orders: A is told the case is now urgent and has the urgent answer
    time; unanswered in that time, the case goes to B."""
    qualified = [v.model_copy(update={"skills": ["oqtf"]}) for v in (A, B)]
    desk, outbox, case_id = await early_hand_off_then_an_oqtf(brain, store, clock, qualified)
    urgent = await store.get_case(case_id)
    assert urgent is not None and urgent.status == "offered" and urgent.offers[-1].volunteer_id == "a"
    lifetime = urgent.offers[-1].expires_at - clock.now()
    assert lifetime == load_handoff_rules().offer_lifetime(urgent.urgency.level)
    hurry = outbox.to(A_AT)[-1]
    assert "devenu plus urgent" in hurry.text and case_id in hurry.text
    assert NOTE not in hurry.text and PERSON.recipient not in hurry.text  # still an offer: nobody named
    assert [option.id for option in hurry.options] == [f"accept:{case_id}", f"decline:{case_id}"]
    assert outbox.to(B_AT) == []

    # A does not answer in the urgent time: B gets it, and A may no longer take it.
    clock.advance(lifetime + dt.timedelta(minutes=1))
    await desk.tick()
    moved = await store.get_case(case_id)
    assert moved is not None and [(o.volunteer_id, o.result) for o in moved.offers] == [
        ("a", "expired"),
        ("b", "pending"),
    ]
    assert len(outbox.to(B_AT)) == 1
    assert "n'est plus valable" in texts(await desk.volunteer_message(A_AT, f"oui {case_id}", None))


async def test_an_early_hand_off_that_now_needs_a_qualified_volunteer_goes_to_one_at_once(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """A has no removal-order skill: the offer leaves A at once (A is told why) for B, who has it."""
    desk, outbox, case_id = await early_hand_off_then_an_oqtf(
        brain, store, clock, [A, B.model_copy(update={"skills": ["oqtf"]})]
    )
    moved = await store.get_case(case_id)
    assert moved is not None and [(o.volunteer_id, o.result) for o in moved.offers] == [
        ("a", "expired"),
        ("b", "pending"),
    ]
    assert "compétence" in outbox.to(A_AT)[-1].text and outbox.to(A_AT)[-1].options == ()
    (offer,) = outbox.to(B_AT)
    assert case_id in offer.text and NOTE not in offer.text
    assert "n'est plus valable" in texts(await desk.volunteer_message(A_AT, f"oui {case_id}", None))


async def test_an_escalated_case_that_becomes_urgent_is_sent_again_to_its_coordinators(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Through the real engine: the urgency before the update comes from the hand-off's own read."""
    coordinator = volunteer("coord", "2001", "93008", "93", skills="coordination", capacity=0)
    _, outbox, case_id = await early_hand_off_then_an_oqtf(brain, store, clock, [coordinator], escalated=True)
    told = [reply.text for reply in outbox.to(tg("2001"))]
    assert len(told) == 2 and "plus urgent" in told[1] and case_id in told[1]


async def test_the_volunteer_holding_an_early_hand_off_is_told_when_it_becomes_more_urgent(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Found by a review of the volunteers' side: A took the case when it was "information only";
    the person then answered an OQTF received yesterday (P0/P1), and A was told nothing, with no
    command to read the summary again."""
    outbox, desk, say = await qualified_desk(brain, store, clock)

    for text in ("Bonjour, je n'ai pas de rendez-vous", "oui", "je veux parler à un humain", "un humain svp"):
        await say(text)
    person_saw = await say("Bobigny")
    (case,) = await store.cases_for_conversation("telegram:5550001234")
    assert case.status == "offered" and case.offers[-1].volunteer_id == "a"
    await desk.volunteer_message(A_AT, "oui", None)
    taken = await store.get_case(case.id)
    assert taken is not None and taken.status == "accepted" and taken.urgency.level in ("P3", "P4")
    outbox.clear()

    later = {**ANSWERS, "removal_order": "oui", "removal_order_date": "hier"}
    for _ in range(30):
        question = next((r for r in reversed(person_saw[-3:]) if r.asking), None)
        if question is None or question.asking is None:
            break
        person_saw = await say(later.get(question.asking, "/skip"))
    urgent = await store.get_case(case.id)
    assert urgent is not None and urgent.status == "accepted" and urgent.urgency.level in ("P0", "P1")
    told = outbox.texts(A_AT)
    assert "devenu plus urgent" in told and case.id in told and "OQTF" in told
    assert PERSON.recipient not in told


async def test_the_volunteer_holding_a_case_is_told_when_a_corrected_date_makes_it_less_urgent(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """A P0 by its order's date (free, received a month ago: 1 month to appeal, ending in 2 days) is
    taken; the person then corrects the date to a week ago: P2 now, and the volunteer about to rush
    is told, with VOIR for the rest."""
    outbox, desk, say = await qualified_desk(brain, store, clock)

    for text in ("Bonjour, j'ai reçu une OQTF le 28 octobre, je suis libre", "oui", "Bobigny"):
        await say(text)
    (case,) = await store.cases_for_conversation("telegram:5550001234")
    assert case.urgency.level == "P0"
    await desk.volunteer_message(A_AT, "oui", None)
    outbox.clear()
    await say("non pardon, l'OQTF je l'ai reçue le 20 novembre")
    lowered = await store.get_case(case.id)
    assert lowered is not None and lowered.urgency.level == "P2"
    told = outbox.texts(A_AT)
    assert "moins urgent" in told and f"VOIR {case.id}" in told
