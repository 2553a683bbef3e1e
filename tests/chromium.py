"""Which chromium the browser tests drive, and getting one when there is none.

``find_chromium`` is used by the browser fixtures; ``python -m tests.chromium`` is run by
``make test`` before the suite: it is happy with a chromium that is there (Debian's, or
Playwright's own after ``playwright install chromium``), installs Debian's when it can (root and
apt-get), tries Playwright's download otherwise, and else stops with a message saying what to
install. Browser tests never skip: without a chromium they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

WHAT_TO_INSTALL = (
    "The browser tests need chromium. Install Debian's (`sudo apt-get install chromium`) or "
    "Playwright's own (`.venv/bin/playwright install chromium`), or point TASKCHAT_CHROMIUM "
    "at a chromium binary."
)


def playwright_chromium() -> str | None:
    """Playwright's own chromium, if ``playwright install chromium`` has put it there."""
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            path = playwright.chromium.executable_path
    except Error:
        return None
    return path if Path(path).exists() else None


def find_chromium() -> str | None:
    """``TASKCHAT_CHROMIUM``, else ``chromium`` on PATH (Debian's), else Playwright's; ``None`` when there is none."""
    configured = os.environ.get("TASKCHAT_CHROMIUM", "").strip()
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or playwright_chromium()


def _can_apt() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def _run(command: list[str], timeout: int) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        return subprocess.run(command, env=env, timeout=timeout).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def ensure_chromium() -> str:
    """A chromium for the browser tests, installing one if it can; ``SystemExit`` if not."""
    path = find_chromium()
    if path:
        return path
    if os.environ.get("TASKCHAT_CHROMIUM", "").strip():
        raise SystemExit(f"TASKCHAT_CHROMIUM={os.environ['TASKCHAT_CHROMIUM']} does not exist.")
    if _can_apt():
        print("installing Debian's chromium for the browser tests", flush=True)
        _run(["apt-get", "update", "-qq"], timeout=600)
        _run(["apt-get", "install", "-y", "-qq", "chromium"], timeout=1200)
    else:
        print("no chromium here; trying `playwright install chromium`", flush=True)
        _run([sys.executable, "-m", "playwright", "install", "chromium"], timeout=600)
    path = find_chromium()
    if not path:
        raise SystemExit(WHAT_TO_INSTALL)
    return path


if __name__ == "__main__":
    print(f"browser tests use {ensure_chromium()}")
