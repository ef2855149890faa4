"""Receipts in the playground, in real headless Chromium, as an agent would use them.

Same set-up as ``tests/browser/test_playground_browser.py`` (its fixtures are reused): the real
bot, the fake Slack and the sandbox (POS and main host, receipt images included) behind the
page, with no network beyond 127.0.0.1. Screenshots land in ``tests/artifacts/``.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser import test_playground_browser as base
from tests.browser.test_playground_browser import channel_message, send, shot

pytestmark = base.pytestmark
browser = base.browser  # the fixtures, by name
page = base.page


def test_receipts_from_the_card_then_a_receipt_with_its_image(page: Page) -> None:
    send(page, "/purchases alice@example.com")
    card = channel_message(page, "Page 1 of")
    card.get_by_role("button", name="Receipts").click()
    receipts = channel_message(page, "Receipts for alice@example.com")
    expect(receipts).to_contain_text("2 need you")
    expect(receipts).to_contain_text("Only visible to you")
    expect(receipts).to_contain_text("Flagged as possible fraud")
    expect(receipts).to_contain_text("We're unable to process this receipt.")
    expect(receipts.get_by_role("button", name="View")).to_have_count(8)
    expect(card).to_contain_text("Page 1 of")  # the card stays beside it
    shot(page, "40-receipts")

    receipts.get_by_role("button", name="View").nth(1).click()
    modal = page.get_by_role("dialog", name="Receipt")
    expect(modal).to_contain_text("Flagged as possible fraud")
    expect(modal).to_contain_text("POTENTIAL_FRAUD_DETECTED")
    image = modal.locator("img").first
    expect(image).to_be_visible()
    expect(image).to_have_attribute("alt", "Receipt receipt-7.jpg, submitted 2026-11-06 16:42 UTC")
    loaded = image.evaluate("img => img.decode().then(() => img.naturalWidth)")
    assert loaded == 240  # drawn and served by the sandbox, offline
    shot(page, "41-receipt-modal")


def test_receipts_page_in_place_and_a_program_without_scanning(page: Page) -> None:
    send(page, "/purchases dev.patel@example.com receipts")
    receipts = channel_message(page, "Receipts for dev.patel@example.com")
    expect(receipts).to_contain_text("1 needs you")
    expect(receipts).to_contain_text("Page 1 of 2")
    message_id = receipts.get_attribute("data-id")
    same = page.locator(f'#messages .msg[data-id="{message_id}"]')
    same.get_by_role("button", name="Next").click()
    expect(same).to_contain_text("Page 2 of 2")
    expect(page.locator("#messages .msg", has_text="Receipts for dev")).to_have_count(1)
    shot(page, "42-receipts-page-2")

    send(page, "/purchases carmen.ruiz@example.com")
    card = channel_message(page, "Purchases for carmen.ruiz@example.com")
    card.get_by_role("button", name="Receipts").click()
    note = channel_message(page, "Receipt scanning is not turned on")
    expect(note).to_be_visible()
    expect(note).not_to_contain_text("Try again")
    note.scroll_into_view_if_needed()
    shot(page, "43-scanning-inactive-note")
    send(page, "/purchases alice@example.com")
    again = channel_message(page, "Purchases for alice@example.com")
    expect(again.get_by_role("button", name="Next")).to_be_visible()
    expect(again.get_by_role("button", name="Receipts")).to_have_count(0)
    again.get_by_role("button", name="Next").scroll_into_view_if_needed()
    shot(page, "44-card-without-receipts")
