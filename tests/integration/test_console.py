"""The review console in a real browser (Playwright driving Debian's Chromium) over the real stack."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from streams.config import Settings
from tests.integration.conftest import PASSWORD, Reviewers, outcome_after_review, queued, run, submit_for_review

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


def open_oldest_item(browser: Browser, settings: Settings, tenant: str) -> Page:
    page = browser.new_page()
    page.goto(settings.review_base_url)
    page.fill("input[name=username]", "rita")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    expect(page.locator("#queue")).to_be_visible()
    page.fill("#filter-tenant", tenant)
    page.click("#refresh")
    expect(page.locator("#items tr")).to_have_count(2)
    page.locator("#items tr").first.click()
    expect(page.locator("#item")).to_be_visible()
    expect(page.locator("#evidence tr")).not_to_have_count(0)
    expect(page.locator("#preview")).to_have_js_property("complete", True)
    return page


def test_reviewer_logs_in_opens_the_oldest_item_and_approves_it(
    browser: Browser, settings: Settings, reviewers: Reviewers
) -> None:
    run(submit_for_review(settings, "t-console-approve", count=2))
    oldest = queued(reviewers.api(settings, "rita"), "t-console-approve", 2)[0]["request_id"]
    page = open_oldest_item(browser, settings, "t-console-approve")
    expect(page.locator("#item-title")).to_contain_text(oldest)
    page.keyboard.press("a")
    expect(page.locator("#queue")).to_be_visible()
    outcome = outcome_after_review(settings, oldest)
    assert outcome["status"] == "published" and outcome["stage"] == "review"


def test_the_preview_stays_greyscale_and_blurred_until_the_reviewer_reveals_it(
    browser: Browser, settings: Settings, reviewers: Reviewers
) -> None:
    run(submit_for_review(settings, "t-console-shield", count=2))
    queued(reviewers.api(settings, "rita"), "t-console-shield", 2)
    page = open_oldest_item(browser, settings, "t-console-shield")
    preview = page.locator("#preview")
    assert "blur(16px)" in preview.evaluate("image => getComputedStyle(image).filter")
    page.keyboard.press("v")
    assert preview.evaluate("image => getComputedStyle(image).filter") == "none"
    page.click("#reveal")
    assert "grayscale(1)" in preview.evaluate("image => getComputedStyle(image).filter")
    page.click("#back")
    page.locator("#items tr").nth(1).click()  # the next item opens shielded again
    expect(page.locator("#item")).to_be_visible()
    assert "blur(16px)" in preview.evaluate("image => getComputedStyle(image).filter")


def test_reviewer_rejects_an_item_with_a_reason_code(
    browser: Browser, settings: Settings, reviewers: Reviewers
) -> None:
    run(submit_for_review(settings, "t-console-reject", count=2))
    oldest = queued(reviewers.api(settings, "rita"), "t-console-reject", 2)[0]["request_id"]
    page = open_oldest_item(browser, settings, "t-console-reject")
    expect(page.locator("#item-title")).to_contain_text(oldest)
    page.fill("#reject-code", "STYLE_NOT_ALLOWED")
    page.click("#reject")
    expect(page.locator("#queue")).to_be_visible()
    outcome = outcome_after_review(settings, oldest)
    assert outcome["status"] == "rejected" and outcome["reason_code"] == "STYLE_NOT_ALLOWED"
