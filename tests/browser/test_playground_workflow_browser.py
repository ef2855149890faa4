"""The playground's Workflow Builder step runner in real headless Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.test_playground_browser import browser, page, pytestmark, shot

__all__ = ["browser", "page", "pytestmark"]  # the fixtures and marks, shared


def test_the_step_runner_shows_outputs_then_an_error(page: Page) -> None:
    panel = page.locator("#workflow-panel")
    expect(panel).to_contain_text("Workflow step")
    panel.get_by_label("member").fill("grace.lindqvist@example.com")
    panel.get_by_label("id_type").select_option("email")
    panel.get_by_role("button", name="Run step").click()
    result = panel.get_by_role("status")
    expect(result).to_contain_text("completeSuccess")
    expect(result).to_contain_text("total_purchases")
    expect(result).to_contain_text("23 purchases")
    expect(result).not_to_contain_text("wrong token")
    shot(page, "30-workflow-step")

    panel.get_by_label("start_date").fill("2026-02-30")
    panel.get_by_role("button", name="Run step").click()
    expect(result).to_contain_text("completeError")
    expect(result).to_contain_text("start_date: 2026-02-30 is not a date on the calendar.")
    shot(page, "31-workflow-step-error")
