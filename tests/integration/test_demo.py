"""`sluice demo --headless`: the README's first command runs by itself, reverts the injected
regression, promotes the healthy rollout, loses no request, and exits 0."""
from __future__ import annotations

import subprocess

from support import SLUICE_BIN


def test_demo_headless_shows_the_revert_and_the_promotion():
    result = subprocess.run([str(SLUICE_BIN), "demo", "--headless", "--hold", "2s"],
                            capture_output=True, text=True, timeout=240)
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-2000:]
    assert "== injecting a regression into green" in out
    assert "event #" in out and "revert: green reverted: regression" in out
    assert "promote: promoted: green is stable" in out
    assert "✔ rollout 1: green reverted" in out and "✔ rollout 2: green promoted" in out
    assert ", 0 lost" in out
    assert "demo passed" in out
    assert result.stderr == "", "the demo's own logs must not leak into its output"


def test_demo_rejects_bad_options():
    for args in (["--rate", "0"], ["--hold", "10ms"], ["--workers", "x"], ["extra"]):
        result = subprocess.run([str(SLUICE_BIN), "demo", *args], capture_output=True, text=True, timeout=30)
        assert result.returncode == 2, (args, result.stderr)
    help_text = subprocess.run([str(SLUICE_BIN), "demo", "--help"], capture_output=True, text=True, timeout=30)
    assert help_text.returncode == 0 and "--headless" in help_text.stdout
