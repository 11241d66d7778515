"""The API docs page (/+api/docs/, Swagger UI) in a real browser: it renders
the OpenAPI document under the site's Content-Security-Policy (the
``fresh_session`` fixture fails the test on any CSP refusal)."""

from __future__ import annotations

import pytest

from . import test_browser

# the browser tests' fixtures (a module's fixtures are its own)
browser = test_browser.browser
fresh_session = test_browser.fresh_session

pytestmark = [pytest.mark.live, pytest.mark.slow_client]


def test_the_api_docs_render_under_the_content_security_policy(fresh_session, live_server_proc):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver = fresh_session
    driver.get(live_server_proc.url + "/+api/docs/")
    wait = WebDriverWait(driver, 30)
    title = wait.until(
        expected_conditions.visibility_of_element_located(
            (By.CSS_SELECTOR, ".swagger-ui .info .title")
        )
    )
    assert "devpi-django" in title.text
    paths = [
        element.get_attribute("data-path")
        for element in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    ]
    assert "/+api" in paths
