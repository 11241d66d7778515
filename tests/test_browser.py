"""The web UI in a real browser: Debian's headless Chromium, driven by
selenium through Debian's chromedriver, against a real devpi-django
(gunicorn). ``make browser-deps`` installs both when missing.

Screenshots of every page land in ``build/screenshots/``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import time
from pathlib import Path

import pytest
import requests

from . import clients, factories
from .live import REPO

pytestmark = [pytest.mark.live, pytest.mark.slow_client]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = REPO / "build" / "screenshots"
PY = sys.executable
README = """\
Demo package
============

A package for the browser tests. **Bold** words, a list:

- one
- two

<script>document.title = 'owned'</script>

.. code-block:: python

   import demo
"""


# -- helpers -----------------------------------------------------------------------


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    *,
    summary: str,
    description: str = "",
    content_type: str = "text/x-rst",
) -> Path:
    """A valid wheel whose core metadata carries a long description."""
    metadata = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        f"Summary: {summary}\nAuthor: Browser Tests\nLicense: MIT\n"
        f"Project-URL: Source, https://example.com/{name}\n"
        f"Description-Content-Type: {content_type}\n\n{description}"
    )
    return factories.make_wheel(directory, name, version, metadata=metadata)


# its callers look at the outcome themselves
twine = functools.partial(clients.twine, check=False, timeout=120)


def shot(driver, name: str) -> Path:
    """A full-page screenshot at the window's current width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = driver.get_window_size()["width"]
    height = driver.get_window_size()["height"]
    full = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(full + 140, 400))
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(width, height)
    return path


def click_and_wait(driver, element) -> None:
    """Click a link or a submit button and wait for the next page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait = WebDriverWait(driver, 20)
    wait.until(expected_conditions.staleness_of(page))
    # the next page whole before the test looks for its elements (an element
    # found while it still loads can be replaced under the next click)
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def no_horizontal_scroll(driver) -> bool:
    return driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


# -- fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), (
        "Debian's chromium and chromium-driver are needed: run `make browser-deps`"
    )
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager never downloads anything
    downloads = tmp_path_factory.mktemp("downloads")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-default-apps",
        "--disable-extensions",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    # the console, to see Content-Security-Policy refusals (fresh_session)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(5)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def fresh_session(browser, live_server_proc):
    """The browser, logged out."""
    browser.get(live_server_proc.url + "/")
    browser.delete_all_cookies()
    browser.get_log("browser")  # start from an empty console
    yield browser
    # every page the test saw works under the site's Content-Security-Policy
    refused = [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
    assert not refused, refused


@pytest.fixture
def published(live_server_proc, unique, tmp_path, clients_env):
    """A user with a base and a dev index; a wheel with a README on dev."""
    s = live_server_proc
    user = f"web{unique}"
    s.create_user(user)
    s.create_index(user, "base", title="Shared base")
    s.create_index(
        user, "dev", bases=f"{user}/base", title="Development", description="Where the team uploads"
    )
    name = f"demo-{unique}"
    old = make_wheel(tmp_path / "dist", name, "0.9", summary="An older demo")
    codeword = f"zebra{unique[::-1]}"  # a summary word that is in no project name
    wheel = make_wheel(
        tmp_path / "dist",
        name,
        "1.0",
        summary=f"A demo package for the web UI, {codeword}",
        description=README,
    )
    for path, index in ((old, "base"), (wheel, "dev")):
        done = twine(clients_env, f"{s.url}/{user}/{index}/", [path], user, "secret")
        assert done.returncode == 0, done.stdout + done.stderr
    return {"user": user, "name": name, "wheel": wheel, "codeword": codeword}


def login(driver, server, user: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(server.url + "/+login")
    driver.find_element(By.ID, "id_username").send_keys(user)
    driver.find_element(By.ID, "id_password").send_keys(password)
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert driver.find_element(By.CSS_SELECTOR, ".nav-user").text == user


# -- scenarios -------------------------------------------------------------------------


def test_browse_from_root_to_a_file_download(fresh_session, live_server_proc, published):
    from selenium.webdriver.common.by import By

    driver, s = fresh_session, live_server_proc
    user, name, wheel = published["user"], published["name"], published["wheel"]
    driver.set_window_size(1920, 1080)
    driver.get(s.url + "/")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Users and indexes"
    stylesheet = driver.execute_script(
        "return getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert stylesheet == "rgb(22, 50, 79)"  # the application's own CSS, served offline
    shot(driver, "01-root")

    click_and_wait(driver, driver.find_element(By.LINK_TEXT, f"{user}/dev"))
    assert driver.current_url == f"{s.url}/{user}/dev"
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith(f"{user}/dev")
    assert driver.find_element(By.LINK_TEXT, f"{user}/base").get_attribute("href") == (
        f"{s.url}/{user}/base"
    )
    row = driver.find_element(By.CSS_SELECTOR, "table.projects tbody tr")
    assert "1.0" in row.text and "A demo package for the web UI" in row.text
    assert not driver.find_elements(By.LINK_TEXT, "Edit index")  # anonymous
    shot(driver, "02-index")

    click_and_wait(driver, row.find_element(By.LINK_TEXT, name))
    versions = driver.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    assert [v.text.split()[0] for v in versions] == ["1.0", "0.9"]
    assert f"{user}/base" in versions[1].text and f"{user}/dev" in versions[0].text
    shot(driver, "03-project")

    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "1.0"))
    assert driver.find_element(By.TAG_NAME, "h1").text == f"{name} 1.0"
    assert driver.title != "owned"  # the README's <script> did not run
    readme = driver.find_element(By.CSS_SELECTOR, ".readme")
    assert "<script>" in readme.text and readme.find_element(By.TAG_NAME, "strong").text == "Bold"
    assert not driver.find_elements(By.CSS_SELECTOR, ".readme script")
    file_row = driver.find_element(By.CSS_SELECTOR, "table.files tbody tr")
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert sha256 in file_row.text and user in file_row.text and f"{user}/dev" in file_row.text
    shot(driver, "04-version")
    driver.set_window_size(390, 844)  # a phone
    driver.refresh()
    assert no_horizontal_scroll(driver)
    shot(driver, "05-version-phone")
    driver.set_window_size(1920, 1080)

    link = driver.find_element(By.LINK_TEXT, wheel.name)
    href = link.get_attribute("href")
    assert href.startswith(f"{s.url}/{user}/dev/+f/{sha256[:3]}/{sha256[3:16]}/")
    link.click()
    target = driver.downloads / wheel.name
    deadline = time.monotonic() + 30
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert target.exists(), list(driver.downloads.iterdir())
    assert target.read_bytes() == wheel.read_bytes()


def tox_report(env: str, retcode: int) -> dict:
    return {
        "reportversion": "1",
        "toxversion": "4.11.0",
        "platform": "linux",
        "host": "ci-runner",
        "testenvs": {
            env: {
                "python": {"version": "3.11.7 (main) [GCC 12.2.0]"},
                "setup": [{"command": ["pip", "install", "demo"], "output": "", "retcode": 0}],
                "test": [{"command": ["pytest"], "output": "", "retcode": retcode}],
            }
        },
    }


def test_tox_results_on_the_version_page(fresh_session, live_server_proc, published):
    """Reports posted to the release file's URL, as ``devpi test`` does."""
    from selenium.webdriver.common.by import By

    driver, s = fresh_session, live_server_proc
    user, name, wheel = published["user"], published["name"], published["wheel"]
    version = s.api("GET", f"/{user}/dev/{name}/1.0").json()["result"]
    href = next(link["href"] for link in version["+links"] if link["rel"] == "releasefile")
    for env, retcode in (("py311", 0), ("py312", 1)):
        r = requests.post(href, json=tox_report(env, retcode), timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["type"] == "toxresultpath"
    driver.set_window_size(1920, 1080)
    driver.get(f"{s.url}/{user}/dev/{name}/1.0")
    section = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=tox-heading]")
    assert section.find_element(By.TAG_NAME, "h3").text == wheel.name
    rows = section.find_elements(By.CSS_SELECTOR, "tbody tr")
    outcomes = {
        row.find_element(By.CSS_SELECTOR, "td").text: row.find_element(By.CSS_SELECTOR, ".status")
        for row in rows
    }
    assert set(outcomes) == {"py311", "py312"}
    assert outcomes["py311"].text == "✔tests passed" or outcomes["py311"].text == "tests passed"
    assert "tests failed" in outcomes["py312"].text
    passed = outcomes["py311"].value_of_css_property("color")
    failed = outcomes["py312"].value_of_css_property("color")
    assert passed == "rgba(11, 93, 30, 1)" and failed == "rgba(161, 18, 12, 1)"  # green, red
    shot(driver, "14-version-toxresults")
    click_and_wait(driver, outcomes["py312"])
    assert '"py312"' in driver.page_source and "ci-runner" in driver.page_source


def test_search(fresh_session, live_server_proc, published):
    from selenium.webdriver.common.by import By

    driver, s = fresh_session, live_server_proc
    user, name = published["user"], published["name"]
    driver.get(s.url + "/")
    box = driver.find_element(By.ID, "site-search-query")
    box.send_keys(name)
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, ".site-search button"))
    assert driver.current_url.startswith(f"{s.url}/+search?query=")
    hits = driver.find_elements(By.CSS_SELECTOR, "ol.results li.result")
    assert [h.find_element(By.CSS_SELECTOR, "h2 a").text for h in hits] == [name, name]
    assert [h.find_element(By.CSS_SELECTOR, ".result-index").text for h in hits] == [
        f"on {user}/base",
        f"on {user}/dev",
    ]
    shot(driver, "06-search")
    # by a word of the summary: only the version that has it
    driver.get(f"{s.url}/+search?query={published['codeword']}")
    [hit] = driver.find_elements(By.CSS_SELECTOR, "ol.results li.result")
    assert f"on {user}/dev" in hit.text and published["codeword"] in hit.text
    click_and_wait(driver, hit.find_element(By.CSS_SELECTOR, "h2 a"))
    assert driver.find_element(By.TAG_NAME, "h1").text == name
    assert driver.current_url == f"{s.url}/{user}/dev/{name}"


def test_login_edit_index_and_see_twine_refused_then_accepted(
    fresh_session, live_server_proc, unique, tmp_path, clients_env
):
    from selenium.webdriver.common.by import By

    driver, s = fresh_session, live_server_proc
    owner, uploader = f"own{unique}", f"up{unique}"
    s.create_user(owner, "owner-pw")
    s.create_user(uploader, "uploader-pw")
    s.create_index(owner, "lib", "owner-pw")
    s.create_index(owner, "team", "owner-pw")
    lib_wheel = make_wheel(tmp_path / "lib", f"libpkg-{unique}", "2.0", summary="from lib")
    assert (
        twine(clients_env, f"{s.url}/{owner}/lib/", [lib_wheel], owner, "owner-pw").returncode == 0
    )
    wheel = make_wheel(tmp_path / "team", f"teampkg-{unique}", "1.0", summary="by the uploader")

    refused = twine(clients_env, f"{s.url}/{owner}/team/", [wheel], uploader, "uploader-pw")
    assert refused.returncode != 0 and "403" in refused.stdout + refused.stderr

    # the uploader sees no edit controls on somebody else's index
    login(driver, s, uploader, "uploader-pw")
    driver.get(f"{s.url}/{owner}/team")
    assert not driver.find_elements(By.LINK_TEXT, "Edit index")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, ".site-nav button"))  # log out
    assert driver.find_element(By.LINK_TEXT, "Log in")

    driver.get(f"{s.url}/+login")
    shot(driver, "07-login")
    login(driver, s, owner, "owner-pw")
    driver.get(f"{s.url}/{owner}/team")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Edit index"))
    acl = driver.find_element(By.ID, "id_acl_upload")
    assert acl.get_attribute("value") == owner
    acl.clear()
    acl.send_keys(f"{owner}, {uploader}")
    bases = driver.find_element(By.ID, "id_bases")
    bases.clear()
    bases.send_keys(f"{owner}/nonexistent")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    error = driver.find_element(By.CSS_SELECTOR, ".notice-error").text
    assert error == f"base index '{owner}/nonexistent' does not exist"  # the API's validation
    shot(driver, "08-edit-index-error")
    assert s.api("GET", f"/{owner}/team").json()["result"]["acl_upload"] == [owner]

    bases = driver.find_element(By.ID, "id_bases")
    bases.clear()
    bases.send_keys(f"{owner}/lib")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert driver.current_url == f"{s.url}/{owner}/team"
    assert "saved" in driver.find_element(By.CSS_SELECTOR, ".messages").text
    assert driver.find_element(By.LINK_TEXT, f"{owner}/lib")
    shot(driver, "09-index-after-edit")
    config = s.api("GET", f"/{owner}/team").json()["result"]
    assert config["acl_upload"] == [owner, uploader] and config["bases"] == [f"{owner}/lib"]

    accepted = twine(clients_env, f"{s.url}/{owner}/team/", [wheel], uploader, "uploader-pw")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    driver.get(f"{s.url}/{owner}/team")
    assert f"teampkg-{unique}" in driver.find_element(By.CSS_SELECTOR, "table.projects").text
    # the base's project shows through on the team index
    driver.get(f"{s.url}/{owner}/team/libpkg-{unique}")
    assert f"{owner}/lib" in driver.find_element(By.CSS_SELECTOR, "main table tbody").text
    simple = requests.get(f"{s.url}/{owner}/team/+simple/libpkg-{unique}/", timeout=30)
    assert lib_wheel.name in simple.text


def test_create_index_account_settings_status_and_admin(fresh_session, live_server_proc, unique):
    from selenium.webdriver.common.by import By

    driver, s = fresh_session, live_server_proc
    user = f"acct{unique}"
    s.create_user(user, "first-pw")
    login(driver, s, user, "first-pw")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Create an index"))
    driver.find_element(By.ID, "id_name").send_keys("fresh")
    driver.find_element(By.ID, "id_title").send_keys("A fresh index")
    shot(driver, "10-create-index")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert driver.current_url == f"{s.url}/{user}/fresh"
    assert s.api("GET", f"/{user}/fresh").json()["result"]["title"] == "A fresh index"

    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Delete index"))
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert driver.current_url == f"{s.url}/{user}", driver.page_source
    assert s.api("GET", f"/{user}/fresh").status_code == 404

    driver.get(f"{s.url}/{user}/+settings")
    email = driver.find_element(By.ID, "id_email")
    email.clear()
    email.send_keys(f"{user}@example.org")
    driver.find_element(By.ID, "id_current_password").send_keys("first-pw")
    driver.find_element(By.ID, "id_new_password").send_keys("second-pw")
    driver.find_element(By.ID, "id_new_password_again").send_keys("second-pw")
    shot(driver, "11-settings")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert "Settings saved." in driver.find_element(By.CSS_SELECTOR, ".messages").text
    assert (
        requests.post(
            f"{s.url}/+login", json={"user": user, "password": "second-pw"}, timeout=30
        ).status_code
        == 200
    )
    assert s.api("GET", f"/{user}").json()["result"]["email"] == f"{user}@example.org"

    driver.get(f"{s.url}/+status")
    mirror = driver.find_element(By.CSS_SELECTOR, "section.mirror")
    assert "root/pypi" in mirror.text and "http://127.0.0.1:9/simple/" in mirror.text
    shot(driver, "12-status")

    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, ".site-nav button"))
    login(driver, s, "root", "root-secret")
    driver.get(f"{s.url}/+admin/")
    assert "Indexes" in driver.find_element(By.ID, "content").text
    driver.get(f"{s.url}/+admin/indexes/index/?q=pypi")
    assert "root/pypi" in driver.find_element(By.ID, "result_list").text
    shot(driver, "13-admin")


def test_api_token_created_used_and_revoked_in_the_browser(
    fresh_session, live_server_proc, published, tmp_path, clients_env
):
    """The settings page makes a token (shown once), twine uploads with it,
    the index's audit page shows the upload, and the revoke button ends it."""
    from selenium.webdriver.common.by import By

    driver, s = fresh_session, live_server_proc
    user = published["user"]
    login(driver, s, user, "secret")
    driver.get(f"{s.url}/{user}/+settings")
    driver.find_element(By.ID, "id_description").send_keys("browser CI")
    driver.find_element(By.CSS_SELECTOR, "input[name=scopes][value=upload]").click()
    driver.find_element(By.ID, "id_indexes").send_keys(f"{user}/dev")
    click_and_wait(
        driver,
        driver.find_element(
            By.CSS_SELECTOR, f"form[action='/{user}/+settings/tokens'] button[type=submit]"
        ),
    )
    secret = driver.find_element(By.ID, "new-token").text
    assert secret.startswith("devpi_")
    shot(driver, "token-created")
    wheel = make_wheel(tmp_path / "tok", f"tokweb-{user}", "1.0", summary="token upload")
    done = twine(clients_env, f"{s.url}/{user}/dev/", [wheel], "__token__", secret)
    assert done.returncode == 0, done.stdout + done.stderr
    driver.get(f"{s.url}/{user}/dev/+audit?action=file.upload")
    rows = driver.find_elements(By.CSS_SELECTOR, "table.audit tbody tr")
    assert any(wheel.name in row.text and "token:" in row.text for row in rows)
    assert driver.find_element(By.CSS_SELECTOR, ".nav-user").text == user
    shot(driver, "audit-index")
    driver.get(f"{s.url}/{user}/+settings")
    assert secret not in driver.page_source  # shown once only
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "table.tokens button"))
    assert "revoked" in driver.find_element(By.CSS_SELECTOR, "table.tokens").text
    again = make_wheel(tmp_path / "tok2", f"tokweb-{user}", "2.0", summary="refused")
    refused = twine(clients_env, f"{s.url}/{user}/dev/", [again], "__token__", secret)
    assert refused.returncode != 0 and "401" in refused.stdout + refused.stderr
