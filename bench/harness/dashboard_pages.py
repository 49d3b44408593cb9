"""Keeps N dashboard pages (GET /ui) open and signed in, in one headless Chromium (Debian's
chromium and chromium-driver, the tests' selenium), until SIGTERM or SIGINT: the load of
release engineers watching a release, for `bench/run.sh --dashboard-pages N`.

    python dashboard_pages.py --admin 127.0.0.1:18073 --token bench --pages 5

Waits for the admin listener, signs each page in, then prints once how many times a second
each page polled /routes over 10 s (read from the page's resource timing), so a run shows the
pages were live. A page whose Sluice restarts keeps polling and picks up again."""
from __future__ import annotations

import argparse
import shutil
import signal
import socket
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.by import By


def wait_listening(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"nothing listens on {host}:{port}")
            time.sleep(0.2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--admin", required=True, help="HOST:PORT of Sluice's admin listener")
    ap.add_argument("--token", required=True)
    ap.add_argument("--pages", type=int, default=5)
    ap.add_argument("--wait", type=float, default=120, help="seconds to wait for the admin listener")
    args = ap.parse_args()
    host, port = args.admin.rsplit(":", 1)

    def stop(*_):
        raise SystemExit(0)  # quits Chromium on the way out (finally below)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--disable-backgrounding-occluded-windows", "--disable-background-networking"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=shutil.which("chromedriver")), options=options)
    try:
        wait_listening(host, int(port), args.wait)
        windows = []
        for i in range(args.pages):
            if i:
                driver.switch_to.new_window("window")
            driver.get(f"http://{args.admin}/ui")
            driver.find_element(By.ID, "token").send_keys(args.token)
            driver.find_element(By.ID, "signin").click()
            windows.append(driver.current_window_handle)
        for w in windows:
            driver.switch_to.window(w)
            driver.execute_script("performance.setResourceTimingBufferSize(10000); performance.clearResourceTimings()")
        time.sleep(10)
        rates = []
        for w in windows:
            driver.switch_to.window(w)
            polls = driver.execute_script(
                "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/routes')).length")
            rates.append(polls / 10)
        print(f"dashboard pages: {args.pages} open on {args.admin}, /routes polls per second each: {rates}", flush=True)
        while True:
            time.sleep(1)
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
