"""The web chat page in a real headless Chromium, against the real app over loopback HTTP.

Driven through chromedriver with Selenium; nothing is downloaded: the Debian packages `chromium`
and `chromium-driver` must be installed (CI installs them), and the test fails, not skips, when
they are missing. The app (real brain, SQLite store on a temporary file, no provider channel) runs
in a thread of its own with aiohttp's AppRunner, since Selenium's calls block.
"""

from __future__ import annotations

import asyncio
import csv
import os
import struct
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from bot.app import Brain
from bot.core.clock import FixedClock
from bot.core.messages import Address, InboundMessage
from bot.server import RUNTIME, create_app
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore
from tests.conftest import TODAY

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "webchat.png"
WAIT_SECONDS = 20
T = TypeVar("T")


class LiveServer:
    """The app on a free loopback port, served from an event loop in a background thread."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="live-server", daemon=True)
        self.runner = web.AppRunner(app)
        self.url = ""

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(WAIT_SECONDS * 3)

    def start(self) -> None:
        self.thread.start()
        self.run(self.runner.setup())
        self.run(web.TCPSite(self.runner, "127.0.0.1", 0).start())
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(WAIT_SECONDS)
        self.loop.close()


@pytest.fixture(scope="module")
def live(brain: Brain, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, SqliteStore]]:
    store = SqliteStore(tmp_path_factory.mktemp("webchat") / "triage.db")
    settings = Settings(store_url="sqlite:///:memory:", reorder_window_seconds=0)
    app = create_app(
        settings, brain=brain, clock=FixedClock(TODAY), store=store, channels={}, process_inline=True
    )
    server = LiveServer(app)
    server.start()
    yield server, store
    server.run(server.runner.cleanup())
    server.run(store.close())
    server.stop()


def _require(path: str, package: str) -> None:
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"{path} is missing: install the Debian package {package} "
            f"(apt-get install -y chromium chromium-driver); the web chat tests need a real browser",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    _require(CHROMIUM, "chromium")
    _require(CHROMEDRIVER, "chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--lang=fr-FR",
        "--window-size=412,860",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    with pytest.MonkeyPatch.context() as patch:
        # The driver path is explicit, so Selenium Manager is skipped; offline, it could not fetch anyway.
        patch.setenv("SE_OFFLINE", "1")
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(live: tuple[LiveServer, SqliteStore], browser: WebDriver) -> WebDriver:
    """A first visit: no conversation in the browser yet, a normal phone-sized viewport."""
    server, _ = live
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    browser.execute_cdp_cmd("Network.enable", {})
    _online(browser, True)
    browser.get(server.url + "/healthz")
    browser.execute_script("window.localStorage.clear()")
    browser.get(server.url + "/")
    _wait_for_reply(browser, 0)
    return browser


# -- helpers ----------------------------------------------------------------------------------------


def _wait(driver: WebDriver, condition: Callable[[WebDriver], Any], what: str) -> Any:
    return WebDriverWait(driver, WAIT_SECONDS).until(condition, message=f"waited for {what}")


def _bots(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#log .msg.bot .bubble")


def _wait_for_reply(driver: WebDriver, before: int) -> str:
    """Wait until the bot answered (more bot bubbles, no request in flight); its last text."""

    def answered(d: WebDriver) -> bool:
        idle = d.find_element(By.ID, "typing").get_attribute("hidden") is not None
        return idle and len(_bots(d)) > before

    _wait(driver, answered, "the bot's reply")
    return _bots(driver)[-1].text


def _type(driver: WebDriver, text: str) -> str:
    before = len(_bots(driver))
    box = driver.find_element(By.ID, "message")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    return _wait_for_reply(driver, before)


def _choices(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#log .choices button")


def _click(driver: WebDriver, label: str) -> str:
    before = len(_bots(driver))
    buttons = [b for b in _choices(driver) if b.text.strip() == label]
    assert buttons, f"no option button {label!r} among {[b.text for b in _choices(driver)]}"
    buttons[0].click()
    return _wait_for_reply(driver, before)


def _online(driver: WebDriver, online: bool) -> None:
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": not online, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def _viewport(driver: WebDriver, width: int, height: int, scale: float = 1) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": True},
    )


def _conversation_id(driver: WebDriver) -> str:
    value = driver.execute_script("return window.localStorage.getItem('triage.chat.id')")
    assert isinstance(value, str)
    return value


# The French triage: what to do for each question, recognized by a fragment of its text.
FRENCH_ANSWERS: list[tuple[str, str, str]] = [
    ("langue", "click", "Français"),
    ("d'accord", "click", "Oui, d'accord"),
    ("habitez", "type", "j'habite à Bobigny"),
    ("papier avez-vous", "type", "carte vie privée et familiale"),
    ("valable", "type", "elle a expiré le 3 mars"),
    ("déposer votre demande", "click", "Non, pas encore"),
    ("OQTF", "click", "Non"),
    ("Depuis quand", "type", "depuis septembre"),
    ("preuves", "click", "Oui"),
    ("situations vous concerne", "type", "j'ai deux enfants"),
    ("ajouter quelque chose", "type", "non merci"),
    ("tout est juste", "click", "Oui, envoyer"),
]


def _answer(driver: WebDriver, question: str) -> str:
    asked = question.strip().splitlines()[-1].lower()  # the summary ends with its question
    for fragment, how, answer in FRENCH_ANSWERS:
        if fragment.lower() in asked:
            return _click(driver, answer) if how == "click" else _type(driver, answer)
    raise AssertionError(f"unexpected question: {question!r}")


# WCAG 2.1 contrast of every element that shows text: its colour against the first opaque background
# behind it. Elements whose text is large (>= 18.66 px bold or 24 px) need 3:1, the others 4.5:1.
LOW_CONTRAST_JS = """
function rgb(c) { return c.match(/[\\d.]+/g).map(Number); }
function lum(c) {
  const [r, g, b] = rgb(c).slice(0, 3).map(v => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function background(e) {
  for (; e; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor, parts = rgb(c);
    if (parts.length < 4 || parts[3] === 1) return c;
  }
  return "rgb(255, 255, 255)";
}
const low = [];
for (const e of document.querySelectorAll("body *")) {
  const text = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  const r = e.getBoundingClientRect();
  if (!text || r.width === 0 || e.closest(".visually-hidden")) continue;
  const s = getComputedStyle(e), size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
  const [a, b] = [lum(s.color), lum(background(e))].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05), large = size >= 24 || (bold && size >= 18.66);
  if (ratio < (large ? 3 : 4.5)) low.push(e.tagName + "." + e.className + " " + ratio.toFixed(2));
}
return low;
"""


# -- tests ------------------------------------------------------------------------------------------


def test_french_triage_by_typing_and_buttons_reaches_the_hand_off(
    page: WebDriver, live: tuple[LiveServer, SqliteStore]
) -> None:
    server, store = live
    question = _bots(page)[-1].text
    assert "langue" in question, "the page opens the conversation with /start: greeting, then language"
    assert not page.find_elements(By.CSS_SELECTOR, "#log .msg.me"), "/start is not shown as the person's"
    for _ in range(20):
        if "situation est transmise" in question:
            break
        question = _answer(page, question)
    else:
        raise AssertionError(f"no hand-off after 20 turns; last question: {question!r}")

    mine = [b.text for b in page.find_elements(By.CSS_SELECTOR, "#log .msg.me .bubble")]
    assert mine[:3] == ["Français", "Oui, d'accord", "j'habite à Bobigny"], "a chosen option shows its label"
    assert page.find_element(By.ID, "problem").get_attribute("hidden") is not None
    assert page.execute_script("return document.documentElement.lang") == "fr"
    cases = server.run(store.cases_for_conversation("web:" + _conversation_id(page)))
    assert len(cases) == 1 and cases[0].slots.prefecture == "93" and cases[0].slots.consent is True


def test_arabic_conversation_is_right_to_left_and_mirrored(page: WebDriver) -> None:
    reply = _click(page, "العربية")
    assert "؟" in reply or any("\u0600" <= ch <= "\u06ff" for ch in reply)
    assert page.execute_script("return document.documentElement.dir") == "rtl"
    assert page.execute_script("return document.documentElement.lang") == "ar"
    direction = "return getComputedStyle(arguments[0]).direction"
    last_bot = _bots(page)[-1]
    assert page.execute_script(direction, last_bot) == "rtl"
    assert page.execute_script(direction, page.find_element(By.ID, "message")) == "rtl"
    # Mirrored: the bot speaks from the right, the person's bubbles sit on the left.
    log = page.find_element(By.ID, "log").rect
    mine = page.find_element(By.CSS_SELECTOR, "#log .msg.me .bubble").rect
    bot = last_bot.rect
    assert abs((bot["x"] + bot["width"]) - (log["x"] + log["width"])) < 2
    assert abs(mine["x"] - log["x"]) < 2
    assert page.find_element(By.CSS_SELECTOR, "label[for=message]").text == "رسالتك"
    # The person answers with the Arabic button; the next question is in Arabic too.
    next_question = _click(page, _choices(page)[0].text)
    assert any("\u0600" <= ch <= "\u06ff" for ch in next_question)
    assert page.execute_script(direction, _bots(page)[-1]) == "rtl"


@pytest.mark.parametrize("width", [360, 320])
def test_small_phone_has_no_horizontal_scroll_and_large_targets(page: WebDriver, width: int) -> None:
    _viewport(page, width, 640)
    _click(page, "Français")
    _click(page, "Oui, d'accord")
    _type(page, "x" * 300)  # one long unbroken word must wrap, not widen the page
    overflow = page.execute_script(
        "const r = document.documentElement; return [r.scrollWidth, r.clientWidth, document.body.scrollWidth]"
    )
    assert overflow[1] == width
    assert overflow[0] <= overflow[1] and overflow[2] <= overflow[1], overflow
    small = page.execute_script(
        "return [...document.querySelectorAll('button, input')].map(e => e.getBoundingClientRect())"
        ".filter(r => r.width > 0 && (r.width < 44 || r.height < 44)).length"
    )
    assert small == 0, "every touch target is at least 44 px"


def test_accessible_structure_and_keyboard_only_use(page: WebDriver) -> None:
    log = page.find_element(By.ID, "log")
    assert log.tag_name == "ol" and log.get_attribute("aria-live") == "polite"
    assert page.execute_script("return document.getElementById('message').labels.length") == 1
    assert page.find_element(By.CSS_SELECTOR, "label[for=message]").text == "Votre message"
    assert all(b.tag_name == "button" for b in _choices(page))
    assert page.execute_script("return document.querySelector('meta[name=viewport]') !== null")
    # Keyboard only: Tab reaches the first option, Enter chooses it, the focus ring is visible.
    body = page.find_element(By.TAG_NAME, "body")
    first = _choices(page)[0]
    for _ in range(10):
        body_or_active = page.switch_to.active_element
        if body_or_active == first:
            break
        (body_or_active if body_or_active.tag_name != "html" else body).send_keys(Keys.TAB)
    assert page.switch_to.active_element == first, "the options are reachable with Tab"
    outline = page.execute_script("const s = getComputedStyle(document.activeElement); return s.outlineStyle")
    assert outline == "solid", "a visible focus ring"
    before = len(_bots(page))
    page.switch_to.active_element.send_keys(Keys.ENTER)
    assert "d'accord" in _wait_for_reply(page, before)
    assert page.execute_script(LOW_CONTRAST_JS) == [], "text contrast of at least 4.5:1 (3:1 when large)"
    page.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    assert page.execute_script(LOW_CONTRAST_JS) == [], "the same in dark mode"


def test_reload_resumes_the_same_conversation(page: WebDriver) -> None:
    _click(page, "Français")
    conversation = _conversation_id(page)
    shown = [b.text for b in _bots(page)]
    page.refresh()
    _wait(page, lambda d: len(_bots(d)) == len(shown), "the transcript to be shown again")
    assert _conversation_id(page) == conversation
    assert [b.text for b in _bots(page)] == shown, "no second /start, the same messages"
    # The server resumes too: the consent question's buttons still work.
    assert "habitez" in _click(page, "Oui, d'accord")


def test_network_failure_gets_a_kind_message_and_a_retry(page: WebDriver) -> None:
    _online(page, False)
    page.find_element(By.ID, "message").send_keys("français", Keys.ENTER)
    _wait(page, lambda d: d.find_element(By.ID, "problem").is_displayed(), "the problem box")
    box = page.find_element(By.ID, "problem")
    assert box.get_attribute("role") == "alert"
    assert "connexion internet" in box.text and "Traceback" not in box.text
    assert page.switch_to.active_element == page.find_element(By.ID, "retry")
    _online(page, True)
    before = len(_bots(page))
    page.find_element(By.ID, "retry").click()
    assert "d'accord" in _wait_for_reply(page, before)
    assert not page.find_element(By.ID, "problem").is_displayed()
    assert len(page.find_elements(By.CSS_SELECTOR, "#log .msg.me")) == 1, "the retry sends, not adds"


@pytest.mark.parametrize(
    ("status", "expected"), [(500, "problème"), (429, "Trop de messages"), (400, "pas pu")]
)
def test_http_errors_are_explained_kindly_without_details(
    page: WebDriver, status: int, expected: str
) -> None:
    # The browser's network answers this one request with an error (the server never fails on cue).
    page.execute_script(
        """const real = window.fetch, status = arguments[0];
        window.fetch = function () {
          window.fetch = real;
          return Promise.resolve(new Response('{"error": "Traceback (most recent call last)"}',
            {status: status, headers: {"Content-Type": "application/json"}}));
        };""",
        status,
    )
    page.find_element(By.ID, "message").send_keys("français", Keys.ENTER)
    _wait(page, lambda d: d.find_element(By.ID, "problem").is_displayed(), "the problem box")
    text = page.find_element(By.ID, "problem").text
    assert expected in text and "Traceback" not in text and "error" not in text
    mine = page.find_element(By.CSS_SELECTOR, "#log .msg.me")
    assert "failed" in (mine.get_attribute("class") or "") and "Non envoyé" in mine.text
    before = len(_bots(page))
    page.find_element(By.ID, "retry").click()
    assert "d'accord" in _wait_for_reply(page, before)
    assert "failed" not in (mine.get_attribute("class") or "") and "Non envoyé" not in mine.text


def test_new_conversation_button_starts_afresh(page: WebDriver) -> None:
    _click(page, "Français")
    first = _conversation_id(page)
    page.find_element(By.ID, "restart").click()
    page.switch_to.alert.accept()
    _wait(page, lambda d: _conversation_id(d) != first and len(_bots(d)) >= 1, "a new conversation")
    assert "langue" in _wait_for_reply(page, 0)
    assert not page.find_elements(By.CSS_SELECTOR, "#log .msg.me")


def test_screenshot_on_a_phone(page: WebDriver, tmp_path: Path) -> None:
    """docs/webchat.png for the README: rewritten when absent or with UPDATE_SCREENSHOT=1."""
    _viewport(page, 360, 640, scale=2)
    # Reduced motion: the page scrolls at once (no smooth scroll still running for the picture).
    page.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]}
    )
    _click(page, "Français")
    _click(page, "Oui, d'accord")
    _type(page, "j'habite à Bobigny")
    _type(page, "carte vie privée et familiale")
    _type(page, "elle a expiré le 3 mars")
    page.execute_script("document.activeElement.blur()")
    last_option = _choices(page)[-1].rect
    composer = page.find_element(By.ID, "composer").rect
    assert last_option["y"] + last_option["height"] <= composer["y"], "scrolled down to the last option"
    shot = tmp_path / "webchat.png"
    assert page.save_screenshot(str(shot))
    png = shot.read_bytes()
    width, height = struct.unpack(">II", png[16:24])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and (width, height) == (720, 1280)
    if os.environ.get("UPDATE_SCREENSHOT") == "1" or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(png)


def test_erasing_forgets_the_transcript_in_the_browser_too(
    page: WebDriver, live: tuple[LiveServer, SqliteStore]
) -> None:
    _click(page, "Français")
    _click(page, "Oui, d'accord")
    _type(page, "j'habite à Bobigny")
    erased = _conversation_id(page)
    assert page.execute_script(f"return window.localStorage.getItem('triage.chat.log.{erased}')")
    assert "effacer" in _type(page, "SUPPRIMER").lower()
    assert "effac" in _click(page, "Oui").lower()
    kept = page.execute_script("return Object.keys(window.localStorage)")
    assert not [key for key in kept if erased in key], kept
    assert _conversation_id(page) != erased
    # After a reload nothing of it comes back, and the next message starts afresh.
    page.refresh()
    _wait_for_reply(page, 0)
    assert "Bobigny" not in page.find_element(By.ID, "log").text


def test_the_volunteers_acceptance_and_messages_appear_on_the_page(
    page: WebDriver, live: tuple[LiveServer, SqliteStore]
) -> None:
    """What the desk writes later is fetched by the page (GET /api/chat/{id}): at once when the page
    becomes visible or is reloaded, else every 15 s; shown once, even after a reload."""
    server, store = live
    _click(page, "Français")
    _click(page, "Oui, d'accord")
    _type(page, "j'habite à Paris")
    _type(page, "je suis au CRA depuis hier")  # at the paper question: P0, handed off at once
    case = server.run(store.cases_for_conversation("web:" + _conversation_id(page)))[-1]
    volunteer_id = case.offers[-1].volunteer_id
    with (Path(__file__).resolve().parents[2] / "data" / "demo" / "volunteers.csv").open() as roster:
        phone = next(row["phone"] for row in csv.DictReader(roster) if row["id"] == volunteer_id)
    handler = server.app[RUNTIME].handler
    sender = Address(channel="sms", recipient=phone)
    for text in (f"OUI {case.id}", f"MSG {case.id} Je vous appelle à 14h"):
        server.run(
            handler(InboundMessage(conversation_id=f"sms:{phone}", channel="sms", text=text, sender=sender))
        )

    page.execute_script("document.dispatchEvent(new Event('visibilitychange'))")
    _wait(page, lambda d: "Je vous appelle à 14h" in _bots(d)[-1].text, "the volunteer's message")
    texts = [b.text for b in _bots(page)]
    assert "Démo" in texts[-2] and "Association Démo Paris" in texts[-2], "who will help, then their message"
    page.refresh()
    _wait(page, lambda d: len(_bots(d)) == len(texts), "the transcript to be shown again")
    page.execute_script("document.dispatchEvent(new Event('visibilitychange'))")
    # The poll acknowledges what was shown: nothing is given again, nothing shown twice.
    _wait(
        page,
        lambda d: server.run(server.app[RUNTIME].web_mailbox.waiting("web:" + _conversation_id(d))) == [],  # type: ignore[union-attr]
        "the messages shown to be acknowledged",
    )
    assert [b.text for b in _bots(page)] == texts, "each message shown once"
