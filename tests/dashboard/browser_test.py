"""The dashboard in headless Chromium (Debian's chromium and chromedriver, driven by
Selenium), with the official openai SDK using the keys created through the dashboard.

Usage: browser_test.py BASE_URL ADMIN_KEY (see run.sh). Each test prints `ok NAME` or
`FAIL NAME: reason`; the last line is `N passed, N failed`. Tests run in order and share one
browser: later tests use the session and keys earlier ones made.
"""

import json
import shutil
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

import openai
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE, ADMIN = sys.argv[1].rstrip("/"), sys.argv[2]
WAIT = 15  # seconds a page or the live view may take to show something


def mask(key):
    """The mock's masked form of a key (`sk-ab****yz`)."""
    if len(key) <= 8:
        return "*" * len(key)
    return key[:5] + "*" * (len(key) - 7) + key[-2:]


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}",
    ]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def sdk(key):
    return openai.OpenAI(api_key=key, base_url=f"{BASE}/v1", max_retries=0, timeout=20)


def chat(key, text="Hello from the browser test"):
    return sdk(key).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
    )


class State:
    driver = None
    keys = {}  # name -> secret


def field(label):
    """The input a <label> names."""
    label = State.driver.find_element(By.XPATH, f"//label[normalize-space()='{label}']")
    return State.driver.find_element(By.ID, label.get_attribute("for"))


def button(text):
    return State.driver.find_element(By.XPATH, f"//button[normalize-space()='{text}']")


def sign_in(key):
    State.driver.get(f"{BASE}/dashboard")
    field("Admin key").send_keys(key)
    button("Sign in").click()


def create_key(name):
    d = State.driver
    d.get(f"{BASE}/dashboard/keys")
    field("Name").send_keys(name)
    button("Create key").click()
    secret = WebDriverWait(d, WAIT).until(lambda d: d.find_element(By.ID, "new-secret")).text
    State.keys[name] = secret.strip()
    return State.keys[name]


def key_row(name):
    for row in State.driver.find_elements(By.CSS_SELECTOR, "#keys tbody tr"):
        if row.get_attribute("data-key-name") == name:
            return row
    raise AssertionError(f"no row for key {name!r}")


def session_cookie():
    cookie = State.driver.get_cookie("om_session")
    assert cookie, "no session cookie"
    assert cookie.get("httpOnly") is True, cookie
    assert cookie.get("sameSite") == "Strict", cookie
    return f"om_session={cookie['value']}"


# --- the tests, in order --------------------------------------------------------------

def test_the_csp_header_is_present():
    with urllib.request.urlopen(f"{BASE}/dashboard/sign-in") as answer:
        csp = answer.headers["Content-Security-Policy"]
    assert csp and "script-src 'self'" in csp and "unsafe-inline" not in csp, csp


def test_a_wrong_admin_key_is_refused():
    sign_in("sk-not-the-admin-key")
    error = State.driver.find_element(By.ID, "sign-in-error").text
    assert "Incorrect admin key" in error, error
    assert State.driver.get_cookie("om_session") is None


def test_signing_in_with_the_admin_key():
    sign_in(ADMIN)
    WebDriverWait(State.driver, WAIT).until(lambda d: "Sign out" in d.page_source)
    assert State.driver.current_url.rstrip("/").endswith("/dashboard"), State.driver.current_url
    session_cookie()


def test_a_key_created_in_the_form_works_from_the_sdk():
    secret = create_key("browser-key")
    assert secret.startswith("sk-proj-"), secret
    completion = chat(secret)
    assert completion.choices[0].message.content
    # The secret is shown once: the list never shows it again.
    State.driver.get(f"{BASE}/dashboard/keys")
    assert secret not in State.driver.page_source
    assert "browser-key" in key_row("browser-key").text


def test_the_request_shows_in_the_live_log_and_the_usage_chart():
    d = State.driver
    secret = State.keys["browser-key"]
    d.get(f"{BASE}/dashboard/requests")
    WebDriverWait(d, WAIT).until(
        lambda d: d.find_element(By.ID, "live-status").text.startswith("Live")
    )
    before = len(d.find_elements(By.CSS_SELECTOR, "#log tbody tr"))
    chat(secret, "Seen live")
    WebDriverWait(d, WAIT).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#log tbody tr")) > before
    )
    first = d.find_element(By.CSS_SELECTOR, "#log tbody tr").text
    assert "/v1/chat/completions" in first and mask(secret) in first, first
    # The detail view shows the request body.
    d.find_element(By.CSS_SELECTOR, "#log tbody tr a").click()
    body = WebDriverWait(d, WAIT).until(lambda d: d.find_element(By.ID, "request-body")).text
    assert "Seen live" in body, body
    d.get(f"{BASE}/dashboard/usage?by=key")
    # A series named after the key (or its masked value, when only the log has the traffic).
    series = [
        g for g in d.find_elements(By.CSS_SELECTOR, "g.series")
        if g.get_attribute("data-series") in ("browser-key", mask(secret))
    ]
    assert series, d.page_source[:3000]
    total = int(series[0].get_attribute("data-total"))
    assert total >= 2, total


def test_a_post_without_the_csrf_token_is_refused():
    secret = create_key("csrf-target")
    State.driver.get(f"{BASE}/dashboard/keys")
    key_id = key_row("csrf-target").get_attribute("data-key-id")
    request = urllib.request.Request(
        f"{BASE}/dashboard/keys/{key_id}/revoke",
        data=b"confirm=yes",
        headers={"Cookie": session_cookie(), "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        urllib.request.urlopen(request)
        raise AssertionError("the POST was accepted")
    except urllib.error.HTTPError as refused:
        assert refused.code == 403, refused.code
    assert chat(secret).choices, "the key stopped working"


def test_revoking_through_the_form_gives_401():
    d = State.driver
    d.get(f"{BASE}/dashboard/keys")
    key_row("browser-key").find_element(By.LINK_TEXT, "Revoke").click()
    WebDriverWait(d, WAIT).until(lambda d: "Revoke key" in d.page_source)
    button("Revoke").click()
    WebDriverWait(d, WAIT).until(lambda d: d.current_url.endswith("/dashboard/keys"))
    # A revoked key leaves the list (the organization deletes it), or shows as revoked.
    rows = [r for r in d.find_elements(By.CSS_SELECTOR, "#keys tbody tr")
            if r.get_attribute("data-key-name") == "browser-key"]
    assert not rows or "revoked" in rows[0].text.lower(), rows[0].text
    try:
        chat(State.keys["browser-key"])
        raise AssertionError("the revoked key still works")
    except openai.AuthenticationError as error:
        assert error.status_code == 401


def test_a_key_named_with_a_script_tag_renders_as_text():
    name = "<script>document.title='pwned'</script>"
    create_key(name)
    d = State.driver
    d.get(f"{BASE}/dashboard/keys")
    row = key_row(name)
    cell = row.find_element(By.CSS_SELECTOR, "td.name")
    assert cell.text == name, cell.text
    assert d.title != "pwned", d.title
    assert not d.find_elements(By.XPATH, "//td[@class='name']/script")


TESTS = [
    test_the_csp_header_is_present,
    test_a_wrong_admin_key_is_refused,
    test_signing_in_with_the_admin_key,
    test_a_key_created_in_the_form_works_from_the_sdk,
    test_the_request_shows_in_the_live_log_and_the_usage_chart,
    test_a_post_without_the_csrf_token_is_refused,
    test_revoking_through_the_form_gives_401,
    test_a_key_named_with_a_script_tag_renders_as_text,
]


def main():
    profile = tempfile.mkdtemp(prefix="openai-mock-chromium-")
    passed = failed = 0
    try:
        State.driver = browser(profile)
        State.driver.set_page_load_timeout(WAIT * 2)
        for test in TESTS:
            try:
                test()
                passed += 1
                print(f"ok {test.__name__}", flush=True)
            except Exception as error:  # noqa: BLE001 - every failure is reported
                failed += 1
                print(f"FAIL {test.__name__}: {error!r}", flush=True)
                traceback.print_exc()
    finally:
        if State.driver:
            State.driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 and passed == len(TESTS) else 1


if __name__ == "__main__":
    sys.exit(main())
