"""Rendering within the providers' limits: Telegram keyboards and pieces, WhatsApp buttons and lists."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels import telegram, whatsapp
from bot.core.messages import Option, Reply


def options(*labels: str) -> tuple[Option, ...]:
    return tuple(Option(id=f"opt{i}", label=label) for i, label in enumerate(labels, start=1))


# -- shared: splitting long texts ------------------------------------------------------------------


@given(st.text(alphabet=st.sampled_from("ab é\n"), max_size=400), st.integers(min_value=10, max_value=60))
def test_split_text_keeps_every_word_within_the_limit(text: str, limit: int) -> None:
    pieces = telegram.split_text(text, limit)
    assert all(0 < len(piece) <= limit for piece in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


def test_split_text_prefers_line_breaks_then_spaces() -> None:
    text = "premier paragraphe assez long\nsecond paragraphe"
    assert telegram.split_text(text, 40) == ["premier paragraphe assez long", "second paragraphe"]
    assert telegram.split_text("un deux trois quatre", 10) == ["un deux", "trois", "quatre"]
    assert telegram.split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


# -- Telegram ------------------------------------------------------------------------------------


def test_telegram_short_labels_share_a_row_and_long_ones_get_their_own() -> None:
    assert telegram.keyboard_rows(["Oui", "Non"]) == [[0, 1]]
    assert telegram.keyboard_rows(["fr", "en", "ar", "es"]) == [[0, 1], [2, 3]]
    long = ["J'ai déposé ma demande et j'ai un récépissé", "Je n'ai pas encore pu déposer"]
    assert telegram.keyboard_rows(long) == [[0], [1]]


def test_telegram_callback_data_fits_64_bytes() -> None:
    too_long = Option(id="é" * 40, label="Choix")  # 80 bytes
    markup = telegram.inline_keyboard((Option(id="yes", label="Oui"), too_long))
    data = [button.callback_data for row in markup.inline_keyboard for button in row]
    assert data == ["yes", "#2"]
    assert all(len((d or "").encode()) <= telegram.MAX_CALLBACK_DATA for d in data)


def test_telegram_keyboard_goes_under_the_last_piece() -> None:
    reply = Reply(text="mot " * 2000, options=options("Oui", "Non"))
    rendered = telegram.render(reply)
    assert len(rendered) == 2
    assert rendered[0][1] is None and rendered[1][1] is not None
    assert all(len(text) <= telegram.MAX_TEXT for text, _ in rendered)


# -- WhatsApp ------------------------------------------------------------------------------------


def test_whatsapp_up_to_three_options_are_reply_buttons_with_short_unique_titles() -> None:
    reply = Reply(
        text="Où en est votre demande ?",
        options=options(
            "Je n'ai pas encore pu déposer ma demande",
            "Déposée, avec un récépissé valide",
            "Déposée, sans récépissé",
        ),
    )
    [message] = whatsapp.render(reply)
    interactive = message["interactive"]
    assert interactive["type"] == "button"
    titles = [button["reply"]["title"] for button in interactive["action"]["buttons"]]
    assert len(titles) == 3 and len(set(titles)) == 3
    assert all(len(title) <= whatsapp.MAX_BUTTON_TITLE for title in titles)
    assert titles[1] == "Déposée, avec un…"  # cut at a word, not mid-word
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == ["opt1", "opt2", "opt3"]


def test_whatsapp_titles_made_equal_by_the_cut_are_numbered() -> None:
    titles = whatsapp.button_titles(
        options("Carte de séjour temporaire salarié", "Carte de séjour temporaire étudiant")
    )
    assert titles[0] != titles[1]
    assert titles[0].startswith("1. ") and titles[1].startswith("2. ")
    assert all(len(title) <= whatsapp.MAX_BUTTON_TITLE for title in titles)


@pytest.mark.parametrize("count", [4, 7, 10])
def test_whatsapp_four_to_ten_options_are_a_list(count: int) -> None:
    labels = [f"Carte de séjour pluriannuelle numéro {i}" for i in range(count)]
    [message] = whatsapp.render(Reply(text="Quel document ?", options=options(*labels)))
    interactive = message["interactive"]
    assert interactive["type"] == "list"
    rows = [row for section in interactive["action"]["sections"] for row in section["rows"]]
    assert len(rows) == count <= whatsapp.MAX_ROWS
    assert all(len(row["title"]) <= whatsapp.MAX_ROW_TITLE for row in rows)
    assert all(len(row["description"]) <= whatsapp.MAX_ROW_DESCRIPTION for row in rows)
    assert len(interactive["action"]["button"]) <= 20


def test_whatsapp_more_than_ten_options_are_a_numbered_text() -> None:
    reply = Reply(text="Votre département ?", options=options(*[f"Choix {i}" for i in range(12)]))
    [message] = whatsapp.render(reply)
    assert message["type"] == "text"
    assert "12 Choix 11" in message["text"]["body"]


def test_whatsapp_a_long_question_is_sent_before_its_buttons() -> None:
    text = "Explication. " * 200  # ~2,600 characters, over the 1,024 of an interactive body
    rendered = whatsapp.render(Reply(text=text, options=options("Oui", "Non")))
    assert [m["type"] for m in rendered] == ["text", "interactive"]
    assert len(rendered[-1]["interactive"]["body"]["text"]) <= whatsapp.MAX_BODY
    joined = rendered[0]["text"]["body"] + " " + rendered[-1]["interactive"]["body"]["text"]
    assert joined.split() == text.split()


def test_whatsapp_ids_too_long_come_back_as_numbers() -> None:
    reply = Reply(text="?", options=(Option(id="x" * 300, label="A"), Option(id="b", label="B")))
    [message] = whatsapp.render(reply)
    assert [b["reply"]["id"] for b in message["interactive"]["action"]["buttons"]] == ["#1", "b"]


@given(st.text(min_size=1, max_size=80), st.integers(min_value=5, max_value=30))
def test_shorten_always_fits(label: str, limit: int) -> None:
    assert len(whatsapp.shorten(label, limit)) <= limit
