"""Share and the App Home tab in the playground, in real headless Chromium.

Same set-up as ``tests/browser/test_playground_browser.py`` (its fixtures are reused): the real bot,
the fake Slack and the sandbox behind the page. Screenshots land in ``tests/artifacts/``.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser import test_playground_browser as base
from tests.browser.test_playground_browser import channel_message, send, shot

pytestmark = base.pytestmark
browser = base.browser  # the fixtures, by name
page = base.page


def test_share_moves_the_card_into_the_channel_and_the_note_links_to_it(page: Page) -> None:
    send(page, "/purchases alice@example.com")
    private = channel_message(page, "Page 1 of")
    expect(private).to_contain_text("Only visible to you")
    private.get_by_role("button", name="Share").click()

    shared = page.locator("#messages .msg", has_text="Shared by").last
    expect(shared).to_be_visible()
    expect(shared).to_contain_text("Shared by @")
    expect(shared).not_to_contain_text("Only visible to you")
    expect(shared.get_by_role("button", name="Share")).to_have_count(0)
    note = page.locator("#messages .msg", has_text="Shared this card").last
    expect(note).to_contain_text("Only visible to you")
    expect(page.locator("#messages .msg", has_text="Page 1 of")).to_have_count(1)
    shot(page, "20-shared-card")

    # The shared copy pages in place, and stays visible without a Share button.
    shared.get_by_role("button", name="Next").click()
    expect(shared).to_contain_text("Page 2 of")
    expect(shared).to_contain_text("Shared by @")
    expect(shared.get_by_role("button", name="Share")).to_have_count(0)

    # The note's link leads to the shared message on this page.
    link = note.get_by_role("link", name="this card")
    expect(link).to_have_attribute("href", re.compile(r"/archives/C[A-Z0-9]+/p\d+$"))
    link.click()
    expect(shared).to_be_focused()


def test_share_from_a_shortcut_lands_in_the_thread(page: Page) -> None:
    page.get_by_role("radio", name="Customer").click()
    send(page, "Hi, alice@example.com here: my points never arrived.")
    posted = channel_message(page, "never arrived")
    posted.hover()
    posted.get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name=re.compile("Purchase history")).click()
    thread = page.locator("#thread")
    private = thread.locator('.msg[data-where="thread"]', has_text="Page 1 of")
    expect(private).to_contain_text("Only visible to you")
    private.get_by_role("button", name="Share").click()
    shared = thread.locator('.msg[data-where="thread"]', has_text="Shared by")
    expect(shared).to_be_visible()
    expect(shared).not_to_contain_text("Only visible to you")
    expect(thread.locator(".msg", has_text="Shared this card")).to_be_visible()
    expect(page.locator("#messages .msg", has_text="Shared by")).to_have_count(0)
    shot(page, "21-shared-in-thread")


def test_home_shows_help_the_form_and_recent_lookups_that_answer_in_the_dm(page: Page) -> None:
    send(page, "/purchases alice@example.com since 2025-01-01")
    expect(channel_message(page, "Page 1 of")).to_be_visible()
    page.locator("#home-entry").click()
    home = page.locator(".home-view")
    expect(home).to_contain_text("Your recent lookups")
    expect(home).to_contain_text("/purchases jane@example.com since 2024-03-01")
    expect(home).to_contain_text("alice@example.com")
    expect(page.locator("#composer")).to_be_hidden()
    shot(page, "22-home")

    home.get_by_role("button", name="Look up a member").click()
    modal = page.get_by_role("dialog", name="Purchase history")
    expect(modal).to_be_visible()
    modal.get_by_role("button", name="Cancel").click()
    expect(modal).to_be_hidden()

    home.get_by_role("button", name=re.compile("Look up alice@example.com again")).click()
    dm = page.locator("#dm-list .nav-item")
    expect(dm).to_be_visible()
    dm.click()
    expect(page.locator("#composer")).to_be_visible()
    first = channel_message(page, "Page 1 of")
    expect(first).to_contain_text("Purchases for alice@example.com")
    card = page.locator(f'#messages .msg[data-id="{first.get_attribute("data-id")}"]')
    expect(card.get_by_role("button", name="Share")).to_have_count(0)
    card.get_by_role("button", name="Next").click()
    expect(card).to_contain_text("Page 2 of")
    shot(page, "23-home-lookup-in-dm")
