"""A real headless Chromium for the pages a person opens (Debian's chromium and
chromium-driver, which .ci/run installs), driven through Selenium with no network: the driver
and the browser are named, so nothing is looked up or downloaded."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

NO_CHROMIUM = "Chromium is not installed: .ci/run installs Debian's chromium and chromium-driver"
# Long enough for a slow machine; a wait ends as soon as what it waits for shows.
PATIENCE_SECONDS = 20


@contextlib.contextmanager
def chromium_browser() -> Iterator[webdriver.Chrome]:
    """Headless Chromium, or the test skipped with the reason when it is not installed."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip(NO_CHROMIUM)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never reach out
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield chrome
    finally:
        chrome.quit()


def text_of(browser: webdriver.Chrome, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def button(browser: webdriver.Chrome, label: str) -> WebElement:
    return browser.find_element(By.XPATH, f"//button[normalize-space()='{label}']")


def press(browser: webdriver.Chrome, label: str, *, then_shows: tuple[str, str]) -> None:
    """Click a button, and wait until the page it leads to shows `then_shows` (an element id
    and a piece of its text). The old page may show the same text, so the wait first sees it
    go: an element read while the new page loads is stale or missing, and is read again."""
    old_page = browser.find_element(By.TAG_NAME, "html")
    button(browser, label).click()
    wait = WebDriverWait(
        browser,
        PATIENCE_SECONDS,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )
    wait.until(expected_conditions.staleness_of(old_page))
    element_id, expected = then_shows
    wait.until(lambda b: expected in b.find_element(By.ID, element_id).text)
