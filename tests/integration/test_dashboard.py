"""The dashboard (`GET /ui`) in a real headless Chromium (Debian's chromium and chromium-driver,
driven by selenium): the page and its files are small and carry a strict CSP; the browser asks
nothing of any host but the admin address; without a token only the login shows; with one the
route and its split appear within 3 s, a weight change through the API within 3 s, a rollout's
state and step, the judge's tests in the same words as `sluice ctl status`, the per-second
charts; the abort button asks first and, confirmed, aborts the rollout in the API. In a fleet
(two instances on a real etcd) it lists every instance, the leader, the weights each applied
and whether each applied the latest change, and says when the store is unreachable.
Screenshots go to the directory the test prints (SLUICE_SCREENSHOTS, or pytest's tmp dir)."""
from __future__ import annotations

import json
import os
import shutil
import time
import urllib.parse
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from support import HOST, Load, route
from test_admin import TOKEN, admin, ctl
from test_fleet import Fleet

ENV = {"SLUICE_ADMIN_TOKEN": TOKEN}


def fetch(sl, path):
    """(status, headers, body bytes) of an unauthenticated GET on the admin listener."""
    import http.client
    c = http.client.HTTPConnection(HOST, sl.admin_port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


@pytest.fixture
def browser():
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    assert chromium and driver_path, "chromium and chromium-driver are missing (scripts/setup.sh installs them)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shots(tmp_path):
    directory = Path(os.environ.get("SLUICE_SCREENSHOTS") or tmp_path / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    print(f"dashboard screenshots: {directory}")
    return directory


def requested_urls(driver) -> list[str]:
    """Every URL the page asked for since the last call, from Chromium's network log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def eventually(predicate, timeout: float, what: str):
    """Polls `predicate` every 0.1 s until it is truthy; fails naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout}s: {what}")
        time.sleep(0.1)


def text_of(driver, css: str) -> str:
    """The text of the first element matching `css`, "" when there is none (or when the page
    re-rendered it between finding and reading: the poll in `eventually` asks again)."""
    found = driver.find_elements(By.CSS_SELECTOR, css)
    try:
        return found[0].text if found else ""
    except StaleElementReferenceException:
        return ""


def test_page_is_small_with_a_strict_policy(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 10)], env=ENV)
    total = 0
    for path, kind in (("/ui", "text/html"), ("/ui/app.js", "text/javascript"), ("/ui/app.css", "text/css")):
        status, headers, body = fetch(sl, path)
        assert status == 200 and headers["content-type"].startswith(kind), (path, status, headers)
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe" not in policy and "*" not in policy and "http" not in policy, policy
        assert headers["x-content-type-options"] == "nosniff"
        total += len(body)
    print(f"dashboard: {total} bytes (page, script and style)")
    assert total < 100 * 1024
    # Any other path is an admin endpoint: without the token, 401 (never a hint what exists).
    assert fetch(sl, "/ui/other")[0] == 401
    # The page is open (it holds no data); the data it shows needs the token.
    assert fetch(sl, "/routes/app/history")[0] == 401


def test_dashboard_in_headless_chromium(clean_backends, sluice_factory, browser, shots):
    b = clean_backends
    sl = sluice_factory([route("app", [b["blue1"].addr], [b["green1"].addr], 10)], workers=2, env=ENV)
    origin = f"http://{HOST}:{sl.admin_port}"
    d = browser

    # Without a token: the login and nothing else, and no call to the API.
    d.get(origin + "/ui")
    eventually(lambda: d.find_element(By.ID, "login").is_displayed(), 3, "the login shows")
    assert not d.find_element(By.ID, "dashboard").is_displayed()
    assert d.find_elements(By.CSS_SELECTOR, "[data-route]") == []
    time.sleep(1.5)
    before = requested_urls(d)
    assert sorted(urllib.parse.urlsplit(u).path for u in before if not u.startswith("data:")) == ["/ui", "/ui/app.css", "/ui/app.js"], before
    d.save_screenshot(str(shots / "login.png"))

    # A wrong token is refused and the login stays.
    d.find_element(By.ID, "token").send_keys("wrong")
    d.find_element(By.ID, "signin").click()
    eventually(lambda: "refused" in d.find_element(By.ID, "login-error").text, 3, "the wrong token is refused")
    assert d.execute_script("return sessionStorage.length") == 0

    # The token: the route and its split within 3 s; the token is in session storage, not the URL.
    d.find_element(By.ID, "token").send_keys(TOKEN)
    d.find_element(By.ID, "signin").click()
    eventually(lambda: "blue 90% · green 10%" in text_of(d, "[data-route=app] .split-text"), 3, "the route's split")
    assert not d.find_element(By.ID, "fleet").is_displayed()  # no --store: no fleet section
    assert d.execute_script("return Object.values(sessionStorage)") == [TOKEN]
    assert TOKEN not in d.current_url

    # A weight change through the API shows within 3 s.
    status, body = admin(sl, "PUT", "/routes/app/weights", body={"green": 30, "reason": "dashboard test"})
    assert status == 200, body
    eventually(lambda: "blue 70% · green 30%" in text_of(d, "[data-route=app] .split-text"), 3, "the new split")

    with Load(sl, rate=60) as load:
        # A rollout's state, step and plan.
        status, body = admin(sl, "POST", "/routes/app/rollout", body={"plan": [10, 50, 100], "holds": "10m", "reason": "v2"})
        assert status == 200, body
        eventually(lambda: "RUNNING" in text_of(d, "[data-route=app] .state")
                   and "step 1 of 3" in text_of(d, "[data-route=app]"), 3, "the rollout's state and step")
        assert "step 1: 10%" in text_of(d, "[data-route=app] .steps li.current")
        # The per-second charts draw both pools' traffic (the history endpoint's seconds).
        eventually(lambda: len(d.find_elements(By.CSS_SELECTOR, "[data-route=app] figure:first-child path[data-pool]")) == 2,
                   8, "both pools in the request-rate chart")
        eventually(lambda: "rollout app by admin: v2" in text_of(d, "#events"), 3, "the rollout's event")
        time.sleep(3)
        d.save_screenshot(str(shots / "rollout.png"))
    assert load.errors == []

    # The judge's tests in the same words as `sluice ctl status`: with no traffic the figures
    # stand still, so the CLI's lines and the page's rows can be compared as they are.
    time.sleep(2.5)
    out = ctl(sl, "status", "app")
    assert out.returncode == 0, out.stderr
    cli = {line.split()[1]: " ".join(line.split()[2:]) for line in out.stdout.splitlines() if line.startswith("  test ")}
    assert set(cli) == {"errors", "latencyTail", "latencyShift"}, out.stdout
    for name, words in cli.items():
        cells = [c.text for c in d.find_elements(By.CSS_SELECTOR, f"[data-route=app] tr[data-test={name}] td")]
        assert f"{cells[1]} — {cells[3]}" == words, (name, cells, words)

    # Abort asks first: cancelled, nothing happens; confirmed, the API says aborted.
    abort = d.find_element(By.CSS_SELECTOR, "[data-route=app] button[data-command=abort]")
    abort.click()
    eventually(lambda: d.find_element(By.ID, "confirm").is_displayed(), 3, "the confirmation")
    d.save_screenshot(str(shots / "confirm-abort.png"))
    d.find_element(By.ID, "confirm-cancel").click()
    time.sleep(1.5)
    assert admin(sl, "GET", "/routes/app/rollout")[1]["state"] == "running"
    abort.click()
    eventually(lambda: d.find_element(By.ID, "confirm").is_displayed(), 3, "the confirmation")
    d.find_element(By.ID, "confirm-reason").send_keys("seen in the dashboard")
    d.find_element(By.ID, "confirm-ok").click()
    eventually(lambda: admin(sl, "GET", "/routes/app/rollout")[1]["state"] == "aborted", 3, "the rollout aborted in the API")
    eventually(lambda: "ABORTED" in text_of(d, "[data-route=app] .state"), 3, "the page shows aborted")
    eventually(lambda: "seen in the dashboard" in text_of(d, "#events"), 3, "the abort event with its reason")
    assert "blue 100% · green 0%" in text_of(d, "[data-route=app] .split-text")
    events = admin(sl, "GET", "/events?since=0")[1]["events"]
    assert [e["reason"] for e in events if e["type"] == "abort"] == ["seen in the dashboard"]
    d.set_window_size(1280, d.execute_script("return document.body.scrollHeight") + 40)
    d.save_screenshot(str(shots / "aborted.png"))

    # Every request the page made went to the admin address, and none carried the token in its URL.
    urls = before + requested_urls(d)
    others = [u for u in urls if not u.startswith(origin + "/") and not u.startswith("data:")]
    assert others == [], others
    assert not any(TOKEN in u for u in urls)
    assert any(urllib.parse.urlsplit(u).path == "/routes/app/history" for u in urls)
    # The wrong token's 401, and the one 404 of `/fleet` that tells the page it runs alone.
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE" and "401 (Unauthorized)" not in e["message"]
              and not ("/fleet" in e["message"] and "404 (Not Found)" in e["message"])]
    assert errors == [], errors
    # Asked once per sign-in (the wrong token's, refused, and the right one's), never again.
    assert sum(urllib.parse.urlsplit(u).path == "/fleet" for u in urls) == 2, "an instance alone is asked once"


def test_dashboard_shows_the_fleet(clean_backends, tmp_path, browser, shots):
    """Two instances on one etcd: the page of either lists both, the one leader, the weights
    each applied and whether each applied the latest change; a weight set on the other
    instance shows on both rows and in the timeline; with etcd killed the page says the store is unreachable, and
    reachable again when it is back."""
    fleet = Fleet(tmp_path, clean_backends, n=2)
    try:
        s0, s1 = fleet.instances
        d = browser
        d.get(f"http://{HOST}:{s0.admin_port}/ui")
        eventually(lambda: d.find_element(By.ID, "login").is_displayed(), 3, "the login shows")
        d.find_element(By.ID, "token").send_keys(TOKEN)
        d.find_element(By.ID, "signin").click()
        eventually(lambda: len(d.find_elements(By.CSS_SELECTOR, "#fleet-instances tr[data-instance]")) == 2, 5,
                   "both instances listed")
        leader = fleet.fleet(s0)["leader"]
        assert leader in ("s0", "s1")
        row = lambda name: text_of(d, f"#fleet-instances tr[data-instance={name}]")
        eventually(lambda: "leader" in row(leader) and "follower" in row({"s0": "s1", "s1": "s0"}[leader]), 3,
                   "the leader and the follower")
        assert "(this page)" in row("s0") and "(this page)" not in row("s1")
        assert "instance s0" in text_of(d, "#instance")

        status, body = admin(s1, "PUT", "/routes/app/weights", body={"green": 30, "reason": "fleet dashboard"})
        assert status == 200, body
        eventually(lambda: all("app 30%" in row(n) and "(latest)" in row(n) for n in ("s0", "s1")), 3,
                   "the weight both instances applied, each on the latest change")
        eventually(lambda: "blue 70% · green 30%" in text_of(d, "[data-route=app] .split-text"), 3, "the split")
        # s1's event, from the fleet's audit log, on s0's timeline.
        eventually(lambda: "fleet dashboard" in text_of(d, "#events") and "instance s1" in text_of(d, "#events"), 3,
                   "the other instance's weight change in the timeline")
        assert "reachable, revision" in text_of(d, "#fleet")
        d.save_screenshot(str(shots / "fleet.png"))

        fleet.etcd.kill()
        eventually(lambda: "UNREACHABLE since" in text_of(d, "#fleet"), 15, "the store unreachable")
        d.save_screenshot(str(shots / "fleet-store-down.png"))
        assert "blue 70% · green 30%" in text_of(d, "[data-route=app] .split-text")
        fleet.etcd.start()
        eventually(lambda: "reachable, revision" in text_of(d, "#fleet"), 20, "the store reachable again")
    finally:
        fleet.stop()
