"""The Neovim plugin in a real headless Neovim, driven with pynvim, against the real server and
the scripted model server: chat basics, the memory commands, memory files, init, health. The
harness is tests/editors/conftest.py; the chat buffer is in test_nvim_chat.py, the tree and
the server per project in test_nvim_tree.py."""

from __future__ import annotations

from pathlib import Path

import pynvim

from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.editors.conftest import feed, git, lines, wait


def chat_lines(nv: pynvim.Nvim) -> list[str]:
    return lines(nv, "memfs://chat")


def test_chat_streams_commits_and_reports_progress(nvim: pynvim.Nvim,
                                                   model: ScriptedModel) -> None:
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "system/style.md", "description": "Style",
        "content": "Tabs.\n", "reason": "learn: tabs"})]),
        Reply(text="Noted: tabs.\nSecond line.", chunk_chars=3))
    nvim.command("MemfsChat I like tabs")
    wait(nvim, "require('memfs.chat').state() == 'done' and #_G.progress >= 2")
    shown = chat_lines(nvim)
    text = "\n".join(shown)
    assert shown[0] == "# Memory Agent · Main conversation"
    assert "## You\nI like tabs\n\n## Agent\n" in text
    assert "Noted: tabs.\nSecond line." in text
    tool = next(i for i, line in enumerate(shown, 1)
                if line.startswith("  ⎿ memory create system/style.md"))
    assert any(line.startswith("  ⎿ commit ") and "learn: tabs" in line for line in shown)
    assert git(nvim, "log", "-1", "--format=%s").strip() == "learn: tabs"
    progress = nvim.exec_lua("return _G.progress")
    assert progress[0] == "begin" and progress[-1] == "end"
    messages = nvim.exec_lua("return vim.api.nvim_exec2('messages', {output=true}).output")
    assert messages.count("\n") < 3, "streaming does not flood the message area"
    # the tool call is one folded line; <CR> on it opens its details
    assert nvim.exec_lua(f"return vim.fn.foldclosed({tool})") == tool
    nvim.exec_lua(f"vim.api.nvim_win_set_cursor(0, {{{tool}, 0}})")
    feed(nvim, "<CR>")
    assert nvim.exec_lua(f"return vim.fn.foldclosed({tool})") == -1
    assert shown[tool] == "    │ command: create"


def test_prompt_keymap_sends_and_ctrl_c_cancels(nvim: pynvim.Nvim,
                                                model: ScriptedModel) -> None:
    model.script(Reply(text="slow " * 300, chunk_chars=5, hold_after=3), "After.")
    nvim.exec_lua("require('memfs.handlers').listeners.delta.test = function(d) "
                  "_G.last_chat_id = d.chatId end")
    nvim.command("MemfsChat")
    wait(nvim, "require('memfs.chat').conversation() ~= nil")
    nvim.exec_lua("vim.api.nvim_buf_set_lines(0, -2, -1, false, {'typed prompt'})")
    feed(nvim, "G<CR>")
    wait(nvim, "require('memfs.chat').state() == 'streaming' and table.concat("
               "vim.api.nvim_buf_get_lines(0, 0, -1, false)):find('slow slow') ~= nil")
    feed(nvim, "<C-c>")
    assert nvim.exec_lua("return require('memfs.chat').state()") == "cancelled"
    text = "\n".join(chat_lines(nvim))
    assert "## You\ntyped prompt" in text and "(cancelled)" in text
    # the chat goes on: the next prompt, sent with <C-s> from insert mode, gets its reply
    cancelled = nvim.exec_lua("return _G.last_chat_id")
    feed(nvim, "Gonext question<C-s><Esc>")
    # a delta the cancelled turn's stream still had on the way lands in neither reply
    nvim.exec_lua("require('memfs.handlers').table()['memfs/chatDelta'](nil, {chatId = ..., "
                  "seq = 999, kind = 'text', text = 'LATE'}, {})", cancelled)
    wait(nvim, "require('memfs.chat').state() == 'done'")
    text = "\n".join(chat_lines(nvim))
    assert "## You\nnext question\n\n## Agent\nAfter." in text and "LATE" not in text


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
    row = next(i for i, line in enumerate(lines(nvim), 1) if "notes/rule.md" in line)
    nvim.exec_lua(f"vim.api.nvim_win_set_cursor(0, {{{row}, 0}})")
    feed(nvim, "<CR>")
    assert nvim.exec_lua("return vim.api.nvim_buf_get_name(0)").endswith("/notes/rule.md")
    assert "Squash merges." in "\n".join(lines(nvim))


def test_memory_file_saves_and_doctor_lines(nvim: pynvim.Nvim, model: ScriptedModel) -> None:
    """:w commits a memory file at once; a refused :w leaves the file as Neovim wrote it (no
    "changed since reading"); doctor's quickfix entries point at the problem's line."""
    nvim.command("MemfsTree")
    wait(nvim, "vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]:find('# memory') ~= nil")
    row = next(i for i, line in enumerate(lines(nvim), 1) if "system/human.md" in line)
    nvim.exec_lua(f"vim.api.nvim_win_set_cursor(0, {{{row}, 0}})")
    feed(nvim, "<CR>")
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
    # the refused file stays on disk exactly as written, uncommitted
    assert (root / "system" / "human.md").read_text() == "\n".join(lines(nvim)) + "\n"
    assert "colour: red" in (root / "system" / "human.md").read_text()
    assert git(nvim, "log", "-1", "--format=%s").strip() == "chore(manual): edit system/human.md"
    assert git(nvim, "status", "--porcelain").strip() == "M system/human.md"
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
    # a default setup shows init's progress: echoed in the command line, not in :messages
    echoes = nvim.exec_lua("return _G.echoes")
    assert any(echo.startswith("memfs: init: ") for echo in echoes), echoes
    assert "memfs: init" not in nvim.exec_lua(
        "return vim.api.nvim_exec2('messages', {output=true}).output")


def test_checkhealth_and_help(nvim: pynvim.Nvim) -> None:
    nvim.command("MemfsTree")
    wait(nvim, "vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]:find('# memory') ~= nil")
    nvim.command("checkhealth memfs")
    report = "\n".join(lines(nvim))
    assert "server found" in report and "model configured: openai/scripted" in report
    assert "memory repo healthy" in report and "ERROR" not in report
    nvim.command("help :MemfsChat")
    assert nvim.exec_lua("return vim.bo.filetype") == "help"
