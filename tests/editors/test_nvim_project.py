"""Issue 14 in a real headless Neovim against the real server and the scripted model: a
project-memory edit under ``approval: ask`` is asked in a float showing its diff (accept lands
it, reject tells the model why, `q` puts it aside for :MemfsApprovals, a cancelled turn
withdraws it), the status line counts what waits, a CodeLens on a file that scoped memory
applies to opens that memory, and the tree shows the two tiers, globs, authors and expiry."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pynvim

from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.editors.conftest import feed, lines, wait

DONE = "require('memfs.chat').state() == 'done'"
ASKED = "vim.api.nvim_buf_get_name(0):find('^memfs://approval/') ~= nil"
SEED_LINE = "Nothing recorded yet."
PROJECT_FILE = "project/system/project.md"


def project_memory(nv: pynvim.Nvim, project: Path) -> Path:
    """:MemfsProjectMemory; the project memory's folder."""
    nv.command("MemfsProjectMemory")
    wait(nv, "table.concat(_G.notes, '\\n'):find('project memory created in') ~= nil")
    return project / ".memfs" / "memory"


def edit(new: str) -> Reply:
    return Reply(tool_calls=[ToolCall("memory", {
        "command": "str_replace", "path": PROJECT_FILE, "old_text": SEED_LINE,
        "new_text": new, "reason": "record a convention"})])


def ask(nv: pynvim.Nvim, text: str) -> None:
    """Send ``text`` from the chat; return once the approval float is focused."""
    nv.command("MemfsChat")
    wait(nv, "require('memfs.chat').conversation() ~= nil")
    feed(nv, f"Go{text}<C-s><Esc>")
    wait(nv, ASKED)


def told(model: ScriptedModel) -> str:
    """What the tools answered the model, over every request so far."""
    return "\n".join(str(m["content"]) for r in model.requests for m in r["messages"]
                     if m.get("role") == "tool")


def statusline(nv: pynvim.Nvim) -> str:
    return str(nv.exec_lua("return require('memfs').statusline()"))


def test_an_edit_that_needs_approval_shows_its_diff_and_accept_lands_it(
        nvim: pynvim.Nvim, model: ScriptedModel, project: Path) -> None:
    memory = project_memory(nvim, project)
    model.script(edit("Use tabs."), "Recorded.")
    ask(nvim, "We use tabs.")
    prompt = lines(nvim)
    assert prompt[0] == f"# the agent wants to str_replace {PROJECT_FILE}"
    assert "project memory, shared with the team; why: record a convention" in prompt[1]
    assert any(line.startswith(f"-{SEED_LINE}") for line in prompt)
    assert any(line.startswith("+Use tabs.") for line in prompt)
    assert nvim.exec_lua("return vim.bo.filetype") == "diff"
    assert nvim.exec_lua("return vim.api.nvim_win_get_config(0).relative") == "editor"
    assert statusline(nvim).endswith(" · 1 approval")
    assert "Use tabs." not in (memory / "system" / "project.md").read_text()
    feed(nvim, "a")
    wait(nvim, DONE)
    assert "Use tabs." in (memory / "system" / "project.md").read_text()
    # it lands as the user's own uncommitted change, in their repository
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, check=True,
                            capture_output=True, text=True).stdout
    assert "?? .memfs/" in status
    wait(nvim, "not require('memfs').statusline():find('approval')")
    assert nvim.exec_lua("return #vim.tbl_filter(function(b) return vim.api.nvim_buf_get_name(b)"
                         ":find('^memfs://approval/') ~= nil end, vim.api.nvim_list_bufs())") == 0


def test_reject_asks_why_and_the_model_is_told(nvim: pynvim.Nvim, model: ScriptedModel,
                                               project: Path) -> None:
    memory = project_memory(nvim, project)
    before = (memory / "system" / "project.md").read_text()
    model.script(edit("Use tabs."), "Understood, spaces.")
    nvim.command("MemfsChat")
    wait(nvim, "require('memfs.chat').conversation() ~= nil")
    # sent from insert mode, typing on: the question waits until insert mode ends
    feed(nvim, "GoWe use tabs.<C-s><Cmd>lua vim.wait(30000, function() return table.concat("
               "_G.notes, '\\n'):find('leave insert mode to answer') ~= nil end, 10); "
               "_G.typing_in = vim.api.nvim_buf_get_name(0)<CR>still typing<Esc>")
    assert nvim.exec_lua("return _G.typing_in") == "memfs://chat"
    wait(nvim, ASKED)
    nvim.exec_lua("_G.input = 'we use spaces in this repository'")
    feed(nvim, "r")
    wait(nvim, DONE)
    assert "the user rejected this edit of project/system/project.md: we use spaces in this " \
        "repository" in told(model)
    assert (memory / "system" / "project.md").read_text() == before
    text = "\n".join(lines(nvim, "memfs://chat"))
    assert f"  ⎿ memory str_replace {PROJECT_FILE} — failed: " in text
    assert "Understood, spaces." in text


def test_a_question_put_aside_is_answered_from_the_list_and_a_cancel_withdraws_one(
        nvim: pynvim.Nvim, model: ScriptedModel, project: Path) -> None:
    memory = project_memory(nvim, project)
    model.script(edit("Use tabs."), "Recorded.")
    ask(nvim, "We use tabs.")
    feed(nvim, "q")  # later: the float closes, the turn keeps waiting
    assert not nvim.exec_lua(f"return {ASKED}")
    assert nvim.exec_lua("return require('memfs.chat').state()") in ("sending", "streaming")
    assert statusline(nvim).endswith(" · 1 approval")
    nvim.exec_lua("_G.picks = {['Memory edits waiting for approval'] = '" + PROJECT_FILE
                  + "', ['memfs: apply this memory edit?'] = 'Always'}")
    nvim.command("MemfsApprovals")
    wait(nvim, ASKED)
    feed(nvim, "<CR>")  # choose from the list: Always
    wait(nvim, DONE)
    assert "Use tabs." in (memory / "system" / "project.md").read_text()
    nvim.command("MemfsApprovals reset")
    wait(nvim, "vim.iter(_G.notes):any(function(n) return n:find('forgotten') end)")
    said = "\n".join(nvim.exec_lua("return _G.notes"))
    assert 'project ask; "always" answers forgotten' in said, said

    # a turn cancelled while its question is open withdraws the question (the float closes)
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "str_replace", "path": PROJECT_FILE, "old_text": "Use tabs.",
        "new_text": "Use spaces.", "reason": "record a convention"})]), "unused")
    ask(nvim, "Actually spaces.")
    nvim.exec_lua("require('memfs.chat').cancel()")
    wait(nvim, f"not ({ASKED}) and not require('memfs').statusline():find('approval')")
    said = "\n".join(nvim.exec_lua("return _G.notes"))
    assert "withdrawn" in said and "Error" not in said, said
    assert "Use spaces." not in (memory / "system" / "project.md").read_text()


def test_a_code_lens_on_a_matching_file_opens_the_memory_and_the_chat_knows_the_file(
        nvim: pynvim.Nvim, model: ScriptedModel, project: Path) -> None:
    memory = project_memory(nvim, project)
    (memory / "api.md").write_text(
        "---\ndescription: API rules\npaths: [\"src/api/**\"]\n---\nAlways paginate lists.\n")
    handler = project / "src" / "api" / "handler.py"
    handler.parent.mkdir(parents=True)
    handler.write_text("def handle(): ...\n")
    nvim.command(f"edit {handler}")
    title = wait(nvim, "(function() local lens = vim.lsp.codelens.get(0)[1]"
                       " return lens and lens.command and lens.command.title end)()")
    assert title == "memfs: 1 memory applies here"
    # the lens is drawn on the first line
    shown = nvim.exec_lua("""
        local found = {}
        for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(0, -1, 0, 0, { details = true })) do
          for _, chunk in ipairs(mark[4].virt_text or {}) do table.insert(found, chunk[1]) end
          for _, line in ipairs(mark[4].virt_lines or {}) do
            for _, chunk in ipairs(line) do table.insert(found, chunk[1]) end
          end
        end
        return table.concat(found)""")
    assert "memfs: 1 memory applies here" in shown
    # a chat turn sent from the chat window is about the file the user was in
    model.script("Paginated.")
    nvim.command("MemfsChat")
    wait(nvim, "require('memfs.chat').conversation() ~= nil")
    feed(nvim, "Golist the users<C-s><Esc>")
    wait(nvim, DONE)
    assert "Always paginate lists." in model.system_prompt(0)
    nvim.command("wincmd p")
    assert nvim.exec_lua("return vim.api.nvim_buf_get_name(0)") == str(handler)
    nvim.exec_lua("vim.api.nvim_win_set_cursor(0, {1, 0}); vim.lsp.codelens.run()")
    wait(nvim, f"vim.api.nvim_buf_get_name(0) == {str(memory / 'api.md')!r}")


def test_the_tree_shows_both_tiers_globs_authors_and_expiry(
        nvim: pynvim.Nvim, project: Path) -> None:
    memory = project_memory(nvim, project)
    (memory / "api.md").write_text(
        "---\ndescription: API rules\npaths: [\"src/api/**\"]\n---\nAlways paginate lists.\n")
    (memory / "old.md").write_text(
        "---\ndescription: Release steps\nexpires: 2020-01-31\n---\nTag, then push.\n")
    nvim.command("MemfsTree")
    wait(nvim, "table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\\n')"
               ":find('project/old.md', 1, true) ~= nil")
    shown = lines(nvim)
    personal = shown.index("personal · the agent's own memory")
    shared = next(i for i, line in enumerate(shown) if line.startswith("project/ · shared with "
                                                                        "the team: "))
    assert personal < shared
    human = next(line for line in shown if "system/human.md" in line)
    assert human.startswith("● system/human.md") and " created " in human
    api = next(line for line in shown if "project/api.md" in line)
    assert api.endswith("API rules  [paths: src/api/**]") and " not in git " in api
    old = next(line for line in shown if "project/old.md" in line)
    assert "expired 2020-01-31 · Release steps" in old and not old.startswith("●")
    assert shown.index(api) > shared and shown.index(human) < shared
