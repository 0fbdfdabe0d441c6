"""The VS Code extension: type check, unit tests of its own logic, and a packaged .vsix.

These need Node.js and npm (on the CI and developer machines); the end-to-end test in a real
VS Code lives in test_vscode_e2e.py and skips, with the reason, where code-server is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"
NPM = shutil.which("npm")

pytestmark = pytest.mark.skipif(NPM is None, reason="npm is not installed on this machine")


def npm(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    assert NPM is not None
    return subprocess.run([NPM, *args], cwd=EXTENSION, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def installed() -> None:
    if not (EXTENSION / "node_modules" / "vscode-languageclient").is_dir():
        done = npm("ci", "--no-audit", "--no-fund")
        assert done.returncode == 0, done.stderr[-2000:]


def test_typescript_type_checks(installed: None) -> None:
    done = npm("run", "typecheck")
    assert done.returncode == 0, done.stdout[-3000:]


def test_unit_tests_of_the_extension_logic(installed: None) -> None:
    done = npm("run", "test:unit")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "# fail 0" in done.stdout and "# pass 4" in done.stdout


def test_vsix_packages_the_bundled_extension(installed: None) -> None:
    done = npm("run", "package")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    with zipfile.ZipFile(EXTENSION / "memfs.vsix") as vsix:
        names = set(vsix.namelist())
        manifest = vsix.read("extension/package.json").decode()
    assert "extension/dist/extension.js" in names
    assert not any(n.startswith("extension/src/") for n in names)
    assert '"memfs.ui.remember"' in manifest and '"memfs.remember"' not in manifest, (
        "palette ids must not collide with the server's own commands")
