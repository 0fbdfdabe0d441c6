"""The VS Code extension: type check, unit tests of its own logic, and the packaged .vsix.

These need Node.js and npm (on the CI and developer machines); the end-to-end test in a real
VS Code lives in test_vscode_e2e.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.editors.npm import ensure_installed

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"
NPM = shutil.which("npm")

pytestmark = pytest.mark.skipif(NPM is None, reason="npm is not installed on this machine")


def npm(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    assert NPM is not None
    return subprocess.run([NPM, *args], cwd=EXTENSION, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def installed() -> None:
    ensure_installed(EXTENSION)


def test_typescript_type_checks(installed: None) -> None:
    done = npm("run", "typecheck")
    assert done.returncode == 0, done.stdout[-3000:]


def test_unit_tests_of_the_extension_logic(installed: None) -> None:
    done = npm("run", "test:unit")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "# fail 0" in done.stdout and "# pass 26" in done.stdout, done.stdout[-3000:]


def test_vsix_holds_the_minified_bundle_docs_and_icon_and_nothing_else(installed: None) -> None:
    done = npm("run", "package")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    with zipfile.ZipFile(EXTENSION / "memfs.vsix") as vsix:
        names = {n.removeprefix("extension/") for n in vsix.namelist()
                 if n.startswith("extension/")}
        manifest = json.loads(vsix.read("extension/package.json"))
        bundle = vsix.read("extension/dist/extension.js").decode()
    assert names == {"package.json", "readme.md", "changelog.md", "LICENSE.txt", "media/icon.png",
                     "media/memfs.svg", "dist/extension.js", "dist/webview.js",
                     "dist/webview.css", "dist/codicon.ttf"}, names
    assert manifest["icon"] == "media/icon.png" and manifest["license"] == "MIT"
    assert max(len(line) for line in bundle.splitlines()) > 10_000, "the bundle is not minified"
    assert "sourceMappingURL" not in bundle
    commands = {c["command"] for c in manifest["contributes"]["commands"]}
    assert "memfs.ui.remember" in commands and "memfs.remember" not in commands, (
        "palette ids must not collide with the server's own commands")
    settings = manifest["contributes"]["configuration"]["properties"]
    assert settings["memfs.model"]["type"] == "string" == settings["memfs.apiBase"]["type"], (
        "model and base URL are plain strings, editable in the Settings UI")
