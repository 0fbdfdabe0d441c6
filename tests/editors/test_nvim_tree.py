"""The memory tree, memory files and the server behind them, in a real headless Neovim: one
tree buffer refreshed when memory changes (also from the CLI), its keys, one server process
per project (memory files join it), the server command read whenever it starts, `gd` on a
[[link]]."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pynvim

from testkit.model_server import ScriptedModel
from tests.editors.conftest import BIN, Editors, feed, lines, notes, wait


def tree_text(nv: pynvim.Nvim) -> str:
    return "\n".join(lines(nv, "memfs://tree"))


def open_tree(nv: pynvim.Nvim) -> None:
    """:MemfsTree, returning once the tree is drawn and focused."""
    refreshes = nv.exec_lua("return _G.tree_refreshes")
    nv.command("MemfsTree")
    wait(nv, f"_G.tree_refreshes > {refreshes} and vim.api.nvim_buf_get_name(0) == "
             "'memfs://tree'")


def cursor_on(nv: pynvim.Nvim, text: str) -> int:
    row = next(i for i, line in enumerate(lines(nv), 1) if text in line)
    nv.exec_lua(f"vim.api.nvim_win_set_cursor(0, {{{row}, 0}})")
    return row


def memory_root(nv: pynvim.Nvim) -> Path:
    return Path(nv.exec_lua("""
        local client = vim.lsp.get_clients({ name = 'memfs' })[1]
        return client:request_sync('memfs/status', vim.empty_dict(), 10000, 0)
          .result.memory.path"""))


def test_the_tree_is_one_buffer_refreshed_after_a_write_from_the_cli(
        nvim: pynvim.Nvim, project: Path) -> None:
    open_tree(nvim)
    assert nvim.exec_lua("return vim.api.nvim_buf_get_name(0)") == "memfs://tree"
    text = tree_text(nvim)
    assert "● system/human.md" in text and "notes/cli.md" not in text
    windows = nvim.exec_lua("return #vim.api.nvim_list_wins()")
    open_tree(nvim)  # a second :MemfsTree reuses the buffer and its window
    assert nvim.exec_lua("return #vim.api.nvim_list_wins()") == windows
    assert nvim.exec_lua("return #vim.tbl_filter(function(b) return vim.api.nvim_buf_get_name(b)"
                         ":find('memfs://tree', 1, true) end, vim.api.nvim_list_bufs())") == 1

    subprocess.run([str(BIN / "memfs"), "memory", "write", "notes/cli", "--description",
                    "Written from the CLI", "--reason", "cli note"], input="From the CLI.\n",
                   text=True, cwd=project, check=True, capture_output=True, env=os.environ)
    wait(nvim, "table.concat(vim.api.nvim_buf_get_lines(vim.fn.bufnr('memfs://tree'), 0, -1,"
               " false), '\\n'):find('notes/cli.md', 1, true) ~= nil")
    row = next(line for line in lines(nvim, "memfs://tree") if "notes/cli.md" in line)
    assert row.startswith("  notes/cli.md") and row.endswith("Written from the CLI")

    feed(nvim, "q")  # closes the tree (no macro recording)
    assert nvim.exec_lua("return vim.fn.bufwinid('memfs://tree')") == -1
    assert nvim.exec_lua("return vim.fn.reg_recording()") == ""


def test_tree_keys_open_the_file_in_the_previous_window_and_show_its_log(
        nvim: pynvim.Nvim) -> None:
    open_tree(nvim)
    windows = nvim.exec_lua("return #vim.api.nvim_list_wins()")
    feed(nvim, "g?")
    help_text = "\n".join(lines(nvim))
    for key in ("<CR>", "L", "D", "R", "q"):
        assert f" {key} " in help_text, key
    feed(nvim, "q")
    cursor_on(nvim, "system/persona.md")
    feed(nvim, "L")
    wait(nvim, "vim.api.nvim_buf_get_name(0) == 'memfs://log'")
    log = lines(nvim)
    assert log[0] == "# memory log of system/persona.md" and len(log) >= 2
    feed(nvim, "q")
    open_tree(nvim)
    cursor_on(nvim, "system/persona.md")
    feed(nvim, "<CR>")
    assert nvim.exec_lua("return vim.api.nvim_buf_get_name(0)").endswith("/system/persona.md")
    assert nvim.exec_lua("return #vim.api.nvim_list_wins()") == windows
    assert nvim.exec_lua("return vim.fn.bufwinid('memfs://tree')") != -1


def test_tree_shows_ages_and_the_last_change_diff(nvim: pynvim.Nvim) -> None:
    open_tree(nvim)
    row = cursor_on(nvim, "system/human.md")
    assert re.search(r" tok +(now|\d+[mhd]) created +What I know", lines(nvim)[row - 1])
    feed(nvim, "D")
    wait(nvim, "vim.api.nvim_buf_get_name(0):find('^memfs://commit/') ~= nil")
    diff = "\n".join(lines(nvim))
    assert "+++ b/system/human.md" in diff


def test_one_server_for_a_project_and_its_memory_files(
        nvim: pynvim.Nvim, project: Path, tmp_path: Path) -> None:
    loose = tmp_path / "loose" / "note.md"  # no project around it
    loose.parent.mkdir()
    loose.write_text("# loose\n")
    (project / "main.py").write_text("print('hi')\n")
    (project / "README.md").write_text("# Project\n")
    # a command starts the server on demand from any buffer, without attaching that buffer
    nvim.command(f"edit {loose}")
    open_tree(nvim)
    # every file of the project joins it (the server knows what is open: scoped memory)
    nvim.command(f"edit {project / 'main.py'}")
    nvim.command(f"edit {project / 'README.md'}")
    wait(nvim, "#vim.lsp.get_clients({ bufnr = 0, name = 'memfs' }) == 1")
    memory_file = memory_root(nvim) / "system" / "human.md"
    nvim.command(f"edit {memory_file}")
    wait(nvim, "#vim.lsp.get_clients({ bufnr = 0, name = 'memfs' }) == 1")
    clients = nvim.exec_lua("""
        local found = {}
        for _, c in ipairs(vim.lsp.get_clients({ name = 'memfs' })) do
          table.insert(found, { root = c.root_dir,
            buffers = vim.tbl_map(vim.api.nvim_buf_get_name, vim.tbl_keys(c.attached_buffers)) })
        end
        return found""")
    assert len(clients) == 1, clients
    assert clients[0]["root"] == str(project)
    assert sorted(Path(b).name for b in clients[0]["buffers"]) == ["README.md", "human.md",
                                                                   "main.py"]
    children = subprocess.run(["pgrep", "-P", str(nvim.exec_lua("return vim.fn.getpid()"))],
                              capture_output=True, text=True).stdout.split()
    assert len(children) == 1, "one server process"


def test_the_server_command_is_read_whenever_the_server_starts(
        model: ScriptedModel, launch: Editors) -> None:
    nv = launch.start(path="/usr/bin:/bin")  # memfs-lsp is not on $PATH
    nv.command("MemfsTree")
    wait(nv, "#_G.notes > 0")
    assert "vim.g.memfs_server" in notes(nv) and "not found" in notes(nv)
    nv.command("checkhealth memfs")
    assert "ERROR" in "\n".join(lines(nv))
    nv.exec_lua(f"vim.g.memfs_server = '{BIN / 'memfs-lsp'}'")
    open_tree(nv)
    assert "system/human.md" in tree_text(nv)


def test_gd_on_a_link_opens_its_file(nvim: pynvim.Nvim) -> None:
    open_tree(nvim)
    cursor_on(nvim, "system/human.md")
    feed(nvim, "<CR>")
    wait(nvim, "#vim.lsp.get_clients({ bufnr = 0, name = 'memfs' }) == 1")
    nvim.exec_lua("vim.api.nvim_buf_set_lines(0, -1, -1, false, {'See [[system/persona]].'})")
    feed(nvim, "G6|gd")
    wait(nvim, "vim.api.nvim_buf_get_name(0):find('system/persona.md', 1, true) ~= nil")


def test_the_tree_follows_project_memory_written_outside_the_editor(
        nvim: pynvim.Nvim, project: Path) -> None:
    nvim.command("MemfsProjectMemory")
    wait(nvim, "table.concat(_G.notes, '\\n'):find('project memory created in') ~= nil")
    open_tree(nvim)
    # the personal memory's own announcements (created, a CLI commit) have refreshed the tree
    subprocess.run([str(BIN / "memfs"), "memory", "write", "notes/cli", "--description",
                    "Written from the CLI", "--reason", "cli note"], input="From the CLI.\n",
                   text=True, cwd=project, check=True, capture_output=True, env=os.environ)
    wait(nvim, "table.concat(vim.api.nvim_buf_get_lines(vim.fn.bufnr('memfs://tree'), 0, -1,"
               " false), '\\n'):find('notes/cli.md', 1, true) ~= nil")
    assert "outside.md" not in tree_text(nvim)
    note = project / ".memfs" / "memory" / "notes" / "outside.md"
    note.parent.mkdir()
    note.write_text("---\ndescription: Written by a teammate\n---\nHello.\n")
    # no R: the server's memfs/memoryChanged (tier project) refreshes the tree
    wait(nvim, "table.concat(vim.api.nvim_buf_get_lines(vim.fn.bufnr('memfs://tree'), 0, -1,"
               " false), '\\n'):find('outside.md', 1, true) ~= nil")
    row = next(line for line in lines(nvim, "memfs://tree") if "outside.md" in line)
    assert row.endswith("Written by a teammate")
