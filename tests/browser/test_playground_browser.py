"""The playground page in real headless Chromium: what a newcomer would click, end to end.

The :class:`Playground` (real bot, fake Slack, sandbox CrowdTwist) runs on its own event loop
in a background thread; Playwright's sync API drives Debian's Chromium against it. Every step
leaves a screenshot in ``tests/artifacts/`` to look at.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from bot.config import Settings
from bot.playground.server import Playground

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Debian's Chromium at /usr/bin/chromium "
        "(apt-get install chromium)",
    ),
]


class BackgroundPlayground:
    """A :class:`Playground` on its own event loop in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.playground = Playground(Settings(_env_file=None, log_format="text"))

    def start(self) -> str:
        self.thread.start()
        url: str = asyncio.run_coroutine_threadsafe(self.playground.start(), self.loop).result(30)
        return url

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.playground.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh playground and a laptop-sized tab on it, in New York time."""
    background = BackgroundPlayground()
    url = background.start()
    context = browser.new_context(
        viewport={"width": 1366, "height": 800}, locale="en-US", timezone_id="America/New_York"
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(url)
    expect(tab.locator("#live")).to_have_text("live")
    try:
        yield tab
    finally:
        context.close()
        background.stop()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"playground-{name}.png"))


def send(page: Page, text: str, composer: str = "#composer-input") -> None:
    box = page.locator(composer)
    box.fill(text)
    box.press("Enter")


def channel_message(page: Page, text: str) -> Locator:
    return page.locator("#messages .msg", has_text=text).last


def test_a_command_pages_in_place(page: Page) -> None:
    shot(page, "01-empty")
    send(page, "/purchases alice@example.com")
    card = channel_message(page, "Page 1 of")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Only visible to you")
    expect(card).to_contain_text("Purchases for alice@example.com")
    # <!date^…> tokens in the browser's zone: 2026-10-31 18:42 UTC is 2:42 PM in New York.
    expect(card).to_contain_text("Oct 31, 2026 at 2:42 PM")
    expect(card.locator("time.mk-date").first).to_be_visible()
    expect(page.locator("#messages")).not_to_contain_text("<!date")
    expect(page.locator("#messages")).not_to_contain_text("UTC")
    shot(page, "02-card-page-1")

    message_id = card.get_attribute("data-id")
    assert message_id
    same = page.locator(f'#messages .msg[data-id="{message_id}"]')
    same.get_by_role("button", name="Next").click()
    expect(same).to_contain_text("Page 2 of")
    expect(page.locator("#messages .msg", has_text="Page ")).to_have_count(1)
    expect(same.get_by_role("button", name="Next")).to_be_focused()  # the keyboard stays put
    shot(page, "03-card-page-2")

    same.get_by_role("button", name="Previous").click()
    expect(same).to_contain_text("Page 1 of")
    expect(page.locator("#messages .msg", has_text="Page ")).to_have_count(1)

    # Keyboard only: focus is on the card's first button (Next) again; Enter pages.
    expect(same.get_by_role("button", name="Next")).to_be_focused()
    page.keyboard.press("Enter")
    expect(same).to_contain_text("Page 2 of")
    same.get_by_role("button", name="Previous").click()
    expect(same).to_contain_text("Page 1 of")

    # Up in an empty composer recalls the last command.
    composer = page.locator("#composer-input")
    composer.focus()
    composer.press("ArrowUp")
    expect(composer).to_have_value("/purchases alice@example.com")


def test_the_shortcut_answers_in_a_thread(page: Page) -> None:
    page.get_by_role("radio", name="Customer").click()
    send(page, "Hi! I'm alice@example.com and my points from last week never showed up.")
    posted = channel_message(page, "never showed up")
    expect(posted).to_contain_text("Casey Customer")
    expect(posted.locator('a[href="mailto:alice@example.com"]')).to_be_visible()
    shot(page, "04-customer-message")

    posted.hover()
    posted.get_by_role("button", name="More actions").click()
    shortcut = page.get_by_role("menuitem", name=re.compile("Purchase history"))
    expect(shortcut).to_be_focused()
    shot(page, "05-message-menu")
    shortcut.click()
    thread = page.locator("#thread")
    expect(thread).to_be_visible()
    first = thread.locator('.msg[data-where="thread"]', has_text="Page 1 of")
    expect(first).to_be_visible()
    reply = thread.locator(f'.msg[data-id="{first.get_attribute("data-id")}"]')
    expect(thread.locator('.msg[data-where="parent"]')).to_contain_text("never showed up")
    expect(posted).to_contain_text("1 reply")
    shot(page, "06-thread-page-1")

    reply.get_by_role("button", name="Next").click()
    expect(reply).to_contain_text("Page 2 of")
    shot(page, "07-thread-page-2")


def test_the_form_shows_errors_then_the_card(page: Page) -> None:
    send(page, "/purchases")
    modal = page.get_by_role("dialog", name="Purchase history")
    expect(modal).to_be_visible()
    expect(modal.get_by_label("Member")).to_be_focused()
    modal.get_by_label("Member").fill("alice@example.com")
    modal.get_by_label("From").fill("2025-05-01")
    modal.get_by_label("To").fill("2025-01-01")
    shot(page, "08-form")
    modal.get_by_role("button", name="Look up").click()
    error = modal.locator('.bk-error[data-error-for="end"]')
    expect(error).to_contain_text("before the start date")
    shot(page, "09-form-error")

    modal.get_by_label("To").fill("2025-12-31")
    modal.get_by_role("button", name="Look up").click()
    expect(modal).to_be_hidden()
    card = channel_message(page, "Page 1 of")
    expect(card).to_contain_text("2025-05-01 to 2025-12-31")
    shot(page, "10-form-card")

    # Esc closes a modal.
    send(page, "/purchases")
    expect(modal).to_be_visible()
    page.keyboard.press("Escape")
    expect(modal).to_be_hidden()


def test_help_and_usage_errors(page: Page) -> None:
    send(page, "/purchases help")
    help_message = channel_message(page, "shows a loyalty member")
    expect(help_message).to_be_visible()
    expect(help_message).to_contain_text("Only visible to you")
    shot(page, "11-help")

    send(page, "/purchases alice@example.com 2024-02-30")
    error = channel_message(page, "2024-02-30")
    expect(error.locator(".eph-note")).to_contain_text("Only visible to you")
    expect(error).to_contain_text("Usage")
    expect(error).not_to_contain_text(":warning:")
    shot(page, "12-usage-error")


def test_details_open_a_modal_with_items(page: Page) -> None:
    send(page, "/purchases alice@example.com")
    card = channel_message(page, "Page 1 of")
    card.get_by_role("button", name="Details").first.click()
    modal = page.get_by_role("dialog", name="Purchase details")
    expect(modal).to_contain_text("Items (")
    expect(modal).to_contain_text("Base points")
    expect(modal).not_to_contain_text("<!date")
    shot(page, "13-details")
    modal.get_by_role("button", name="Close", exact=True).last.click()
    expect(modal).to_be_hidden()


def test_an_unknown_member_and_the_demo_list(page: Page) -> None:
    panel = page.locator("#data-panel")
    expect(panel).to_contain_text("Sandbox data")
    expect(panel).to_contain_text("Alice Martin")
    expect(panel).to_contain_text("outage@example.com")
    panel.get_by_role("button", name="alice@example.com").first.click()
    expect(page.locator("#composer-input")).to_have_value("/purchases alice@example.com")

    send(page, "/purchases nobody@example.com")
    reply = channel_message(page, "No member found")
    expect(reply).to_contain_text("nobody@example.com")
    expect(reply).to_contain_text("Only visible to you")
    shot(page, "14-not-found")


def test_the_export_lands_in_the_dm_as_a_file(page: Page) -> None:
    send(page, "/purchases alice@example.com")
    card = channel_message(page, "Page 1 of")
    card.get_by_role("button", name="Export CSV").click()
    expect(channel_message(page, "Exported 27 purchases")).to_be_visible()
    dm = page.locator("#dm-list .nav-item")
    expect(dm).to_contain_text("1")
    dm.click()
    file_link = page.locator("#messages .file-title")
    expect(file_link).to_contain_text("Purchases for alice@example.com")
    shot(page, "15-export-dm")
    with page.expect_download() as download:
        page.locator("#messages .file-download").click()
    assert download.value.suggested_filename.endswith(".csv")


RENDER_SCRIPT = """
async ([text, format, epoch]) => {
  const m = await import("/static/mrkdwn.js");
  const box = document.createElement("div");
  box.append(m.renderMrkdwn(text, {users: {UPLAYAGENT: {name: "you"}}}));
  const today = Math.floor(Date.now() / 1000);
  return {
    html: box.innerHTML,
    text: box.textContent,
    date: m.formatDate(epoch, format),
    pretty: m.formatDate(today, "{date_short_pretty} at {time}"),
    bad: m.formatDate(epoch, "{nonsense}"),
  };
}
"""


def test_find_and_filter_from_the_command_and_the_form(page: Page) -> None:
    send(page, "/purchases alice@example.com find:NW-400011")
    found = channel_message(page, "Found NW-400011")
    expect(found).to_contain_text("Found NW-400011 on page 2 of 3")
    shot(page, "11-find")
    found.get_by_role("button", name="Next").click()
    expect(channel_message(page, "Page 3 of 3")).to_contain_text("27 purchases")

    send(page, "/purchases")
    modal = page.get_by_role("dialog", name="Purchase history")
    modal.get_by_label("Member").fill("alice@example.com")
    modal.get_by_label("Purchase id").fill("nw-400003")
    modal.get_by_role("button", name="Look up").click()
    expect(modal).to_be_hidden()
    expect(channel_message(page, "Found nw-400003")).to_contain_text("on page 3 of 3")


@pytest.mark.parametrize(
    ("format_", "shown"),
    [
        ("{date_num} {time_secs}", "2023-11-14 5:13:20 PM"),
        ("{date}", "November 14, 2023"),
        ("{date_short}", "Nov 14, 2023"),
        ("{date_long}", "Tuesday, November 14, 2023"),
        ("{date_short_pretty} at {time}", "Nov 14, 2023 at 5:13 PM"),
    ],
)
def test_mrkdwn_and_dates_render_in_the_browser(page: Page, format_: str, shown: str) -> None:
    text = (
        "*bold* _it_ ~gone~ `co*de*` <https://example.com/a?b=1&amp;c=2|a link> "
        "<mailto:a@b.co|a@b.co> <@UPLAYAGENT> <#CPLAYSUPRT|support> :warning: :not_an_emoji: "
        "&lt;img src=x onerror=alert(1)&gt; <javascript:alert(1)|bad> snake_case_id "
        "<!date^1700000000^{date_num}|2023-11-14 22:13 UTC>\n```pre *not bold*```"
    )
    result = page.evaluate(RENDER_SCRIPT, [text, format_, 1700000000])
    html, visible = result["html"], result["text"]
    assert result["date"] == shown  # New York time, from the browser's own zone
    assert result["pretty"].startswith("Today at ")
    assert result["bad"] is None  # unknown tokens fall back to the token's fallback text
    assert "<strong>bold</strong>" in html
    assert "<em>it</em>" in html
    assert "<s>gone</s>" in html
    assert '<code class="mk-code">co*de*</code>' in html
    assert 'href="https://example.com/a?b=1&amp;c=2"' in html
    assert 'href="mailto:a@b.co"' in html
    assert "@you" in visible
    assert "#support" in visible
    assert "⚠️" in visible
    assert ":not_an_emoji:" in visible
    assert "<img" not in html  # escaped input stays text
    assert "<img src=x onerror=alert(1)>" in visible
    assert "javascript:" not in html
    assert "snake_case_id" in visible
    assert "2023-11-14" in visible
    assert "<!date" not in visible
    assert '<pre class="mk-pre">pre *not bold*</pre>' in html
