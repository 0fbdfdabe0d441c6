"""The chat buffer in a real headless Neovim against the real server and the scripted model: a
turn always ends (an error is written under the agent's heading and the chat stays usable),
keys apply only where they make sense, the buffer follows the conversation (history on open,
:MemfsNew, a switch, a restart; Remember turns and reflections), layouts, the status line."""

from __future__ import annotations

import threading

import pynvim
import pytest

from testkit.model_server import Fault, Reply, ScriptedModel, ToolCall
from tests.editors.conftest import Editors, feed, lines, wait

DONE = "require('memfs.chat').state() == 'done'"
LOADED = "require('memfs.chat').conversation() ~= nil"


def chat(nv: pynvim.Nvim) -> str:
    return "\n".join(lines(nv, "memfs://chat"))


def send(nv: pynvim.Nvim, text: str, until: str = DONE) -> None:
    """Type ``text`` in the prompt and send it with <C-s> from insert mode."""
    nv.command("MemfsChat")
    wait(nv, LOADED)
    feed(nv, f"Go{text}<C-s><Esc>")
    wait(nv, until)


def test_a_turn_that_errors_shows_the_error_and_the_chat_goes_on(
        nvim: pynvim.Nvim, model: ScriptedModel) -> None:
    model.script(Reply(fault=Fault.HTML_BODY), "Back again.")
    send(nvim, "first try", until="require('memfs.chat').state() == 'error'")
    text = chat(nvim)
    assert "## You\nfirst try\n\n## Agent\n  ⎿ error: " in text
    assert "HTML" in text.split("## Agent\n", 1)[1]
    send(nvim, "second try")
    assert "## You\nsecond try\n\n## Agent\nBack again." in chat(nvim)


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMFS_MODEL", raising=False)
    monkeypatch.delenv("MEMFS_API_BASE", raising=False)


def test_without_a_model_every_turn_ends_with_the_error_in_the_buffer(
        no_model: None, launch: Editors) -> None:
    nv = launch.start()
    for attempt in ("hello", "hello again"):
        send(nv, attempt, until="require('memfs.chat').state() == 'error'")
        after = chat(nv).split(f"## You\n{attempt}\n", 1)[1]
        assert after.startswith("\n## Agent\n  ⎿ error: no model is configured\n    set "), after
    assert "still streaming" not in "\n".join(nv.exec_lua("return _G.notes"))
    assert wait(nv, "require('memfs').statusline():find('no model') and "
                    "require('memfs').statusline()") == "memfs: Memory Agent · no model"


def test_keys_apply_only_where_they_make_sense(nvim: pynvim.Nvim, model: ScriptedModel) -> None:
    nvim.command("MemfsChat")
    wait(nvim, LOADED)
    # idle: <C-c> in insert mode leaves insert mode, as everywhere else (so the "x" after it
    # deletes the "b" instead of being typed)
    feed(nvim, "Goab<C-c>x")
    assert lines(nvim)[-1] == "a"
    assert nvim.exec_lua("return vim.fn.maparg('<C-c>', 'n')") == ""
    # <CR> in the transcript moves the cursor instead of sending
    feed(nvim, "gg<CR>")
    assert nvim.exec_lua("return vim.api.nvim_win_get_cursor(0)[1]") == 2
    assert nvim.exec_lua("return require('memfs.chat').state()") == "idle"
    # g? lists the keymaps in a float; q closes it
    feed(nvim, "g?")
    help_text = "\n".join(lines(nvim))
    assert nvim.exec_lua("return vim.api.nvim_win_get_config(0).relative") == "editor"
    for key in ("<CR>", "<C-s>", "<C-c>", "q", "g?"):
        assert f" {key} " in help_text, key
    feed(nvim, "q")
    assert nvim.exec_lua("return vim.api.nvim_buf_get_name(0)") == "memfs://chat"
    # q closes the chat window, keeping the buffer
    windows = nvim.exec_lua("return #vim.api.nvim_list_wins()")
    feed(nvim, "q")
    assert nvim.exec_lua("return #vim.api.nvim_list_wins()") == windows - 1
    assert nvim.exec_lua("return vim.fn.bufwinid('memfs://chat')") == -1
    assert nvim.exec_lua("return vim.fn.reg_recording()") == ""


def test_busy_turn_shows_a_spinner_and_the_status_line_says_busy(
        nvim: pynvim.Nvim, model: ScriptedModel) -> None:
    gate = threading.Event()
    model.script(Reply(text="Done waiting.", gate=gate))
    send(nvim, "take your time", until="require('memfs.chat').state() == 'sending'")
    try:
        spinner = wait(nvim, """(function()
            local ns = vim.api.nvim_create_namespace('memfs.chat.spinner')
            local marks = vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })
            return marks[1] and marks[1][4].virt_lines[1][1][1]
          end)()""")
        assert spinner.endswith(" thinking…")
        assert wait(nvim, "require('memfs').statusline()") == "memfs: Memory Agent · busy"
        assert nvim.exec_lua("return vim.fn.maparg('<C-c>', 'n')") != ""
    finally:
        gate.set()
    wait(nvim, DONE)
    assert nvim.exec_lua("""return #vim.api.nvim_buf_get_extmarks(0,
        vim.api.nvim_create_namespace('memfs.chat.spinner'), 0, -1, {})""") == 0
    assert nvim.exec_lua("return vim.fn.maparg('<C-c>', 'n')") == ""
    assert "## Agent\nDone waiting." in chat(nvim)


def test_a_tool_call_streamed_while_typing_is_folded_once_insert_mode_ends(
        nvim: pynvim.Nvim, model: ScriptedModel) -> None:
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "system/style.md", "description": "Style",
        "content": "Tabs.\n", "reason": "learn: tabs"})]), "Noted.")
    nvim.command("MemfsChat")
    wait(nvim, LOADED)
    # send from insert mode and stay there (typing on) while the reply streams
    feed(nvim, "GoI like tabs<C-s><Cmd>lua vim.wait(30000, function() return "
               "require('memfs.chat').state() == 'done' end, 10); "
               "_G.row = vim.fn.search('^  ⎿ memory create', 'nw'); "
               "_G.closed_in_insert = vim.fn.foldclosed(_G.row)<CR>more typing<Esc>")
    row = nvim.exec_lua("return _G.row")
    assert row > 0 and nvim.exec_lua("return _G.closed_in_insert") == -1
    wait(nvim, f"vim.fn.foldclosed({row}) == {row}")


def test_a_failed_tool_call_says_why_on_its_line(nvim: pynvim.Nvim,
                                                 model: ScriptedModel) -> None:
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "../outside.md", "description": "Nope",
        "content": "x\n", "reason": "escape"})]), "That path was refused.")
    send(nvim, "write outside")
    summary = next(line for line in lines(nvim, "memfs://chat")
                   if line.startswith("  ⎿ memory create ../outside.md"))
    assert " — failed: " in summary


def test_remember_turns_and_reflections_appear_in_the_chat(
        nvim: pynvim.Nvim, model: ScriptedModel) -> None:
    nvim.command("MemfsChat")
    wait(nvim, LOADED)
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "notes/rule.md", "description": "Rules",
        "content": "Squash merges.\n", "reason": "team rule"})]), "Saved.")
    nvim.command("MemfsRemember we squash merges")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('remembered in') ~= nil")
    text = chat(nvim)
    assert "## Remember\nwe squash merges\n\n## Agent\n" in text
    assert "  ⎿ commit " in text and "remember: team rule" in text
    model.script("nothing to keep")
    nvim.command("MemfsReflect")
    wait(nvim, "table.concat(vim.api.nvim_buf_get_lines(vim.fn.bufnr('memfs://chat'), 0, -1,"
               " false), '\\n'):find('  ⎿ reflection ', 1, true) ~= nil")


def test_new_conversation_empties_the_buffer_and_a_switch_shows_its_title(
        nvim: pynvim.Nvim, model: ScriptedModel) -> None:
    model.script("First answer.")
    send(nvim, "first question")
    main = nvim.exec_lua("return require('memfs.chat').conversation()")
    nvim.command("MemfsNew")
    wait(nvim, f"require('memfs.chat').conversation() ~= '{main}' and not table.concat("
               "vim.api.nvim_buf_get_lines(vim.fn.bufnr('memfs://chat'), 0, -1, false))"
               ":find('## You')")
    header = lines(nvim, "memfs://chat")[0]
    assert header.startswith("# Memory Agent · ") and "Main conversation" not in header
    nvim.exec_lua("_G.picks = {['Switch conversation'] = 'Main conversation'}")
    nvim.command("MemfsConversations")
    wait(nvim, "vim.api.nvim_buf_get_lines(vim.fn.bufnr('memfs://chat'), 0, 1, false)[1]"
               " == '# Memory Agent · Main conversation'")


def test_history_after_new_switch_and_restart(model: ScriptedModel, launch: Editors) -> None:
    nv = launch.start()
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "system/style.md", "description": "Style",
        "content": "Tabs.\n", "reason": "learn: tabs"})]), "Noted: tabs.")
    send(nv, "I like tabs")
    main = nv.exec_lua("return require('memfs.chat').conversation()")
    nv.command("MemfsNew")
    wait(nv, f"require('memfs.chat').conversation() ~= '{main}' and not table.concat("
             "vim.api.nvim_buf_get_lines(vim.fn.bufnr('memfs://chat'), 0, -1, false), '\\n')"
             ":find('I like tabs')")
    model.script("Other topic.")
    send(nv, "something else")
    nv.exec_lua("_G.picks = {['Switch conversation'] = '" + main + "'}")
    nv.command("MemfsConversations")
    wait(nv, f"require('memfs.chat').conversation() == '{main}' and table.concat("
             "vim.api.nvim_buf_get_lines(vim.fn.bufnr('memfs://chat'), 0, -1, false), '\\n')"
             ":find('I like tabs') ~= nil")
    text = chat(nv)
    assert "## You\nI like tabs\n\n## Agent\n" in text and "Noted: tabs." in text
    assert "  ⎿ memory create system/style.md" in text and "something else" not in text
    launch.quit(nv)

    # after a restart the chat shows the conversation the next message continues
    again = launch.start()
    again.command("MemfsChat")
    wait(again, LOADED)
    assert again.exec_lua("return require('memfs.chat').conversation()") == main
    text = chat(again)
    assert "## You\nI like tabs\n\n## Agent\n" in text and "Noted: tabs." in text


def test_enter_on_a_commit_shows_its_diff(nvim: pynvim.Nvim, model: ScriptedModel) -> None:
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "system/style.md", "description": "Style",
        "content": "Tabs.\n", "reason": "learn: tabs"})]), "Noted.")
    send(nvim, "I like tabs")
    row = next(i for i, line in enumerate(lines(nvim, "memfs://chat"), 1)
               if line.startswith("  ⎿ commit "))
    nvim.exec_lua(f"vim.api.nvim_win_set_cursor(0, {{{row}, 0}})")
    feed(nvim, "<CR>")
    wait(nvim, "vim.api.nvim_buf_get_name(0):find('^memfs://commit/') ~= nil")
    diff = "\n".join(lines(nvim))
    assert "learn: tabs" in diff and "+Tabs." in diff
    feed(nvim, "q")
    assert nvim.exec_lua("return vim.api.nvim_buf_get_name(0)") == "memfs://chat"


def test_the_header_follows_the_conversation_title(nvim: pynvim.Nvim,
                                                   model: ScriptedModel) -> None:
    nvim.command("MemfsNew")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('new conversation') ~= nil")
    model.script("Use tabs.", "Tabs versus spaces")
    send(nvim, "tabs or spaces?")
    header = lines(nvim, "memfs://chat")[0]
    wait(nvim, "vim.api.nvim_buf_get_lines(vim.fn.bufnr('memfs://chat'), 0, 1, false)[1]"
               f" ~= '{header}'")


@pytest.mark.parametrize("layout", ["vsplit", "split", "float"])
def test_chat_layouts(layout: str, model: ScriptedModel, launch: Editors) -> None:
    nv = launch.start(f"require('memfs').setup{{ chat = {{ layout = '{layout}' }} }}")
    nv.command("MemfsChat")
    wait(nv, LOADED)
    geometry = nv.exec_lua("""
        local win = vim.fn.bufwinid('memfs://chat')
        return { relative = vim.api.nvim_win_get_config(win).relative,
                 width = vim.api.nvim_win_get_width(win), height = vim.api.nvim_win_get_height(win),
                 columns = vim.o.columns, windows = #vim.api.nvim_list_wins() }""")
    if layout == "float":
        assert geometry["relative"] == "editor"
    elif layout == "vsplit":
        assert geometry["relative"] == "" and geometry["width"] < geometry["columns"] // 2
    else:
        assert geometry["relative"] == "" and geometry["width"] == geometry["columns"]
    nv.command("MemfsChat")  # a second :MemfsChat focuses the same window
    assert nv.exec_lua("return #vim.api.nvim_list_wins()") == geometry["windows"]
