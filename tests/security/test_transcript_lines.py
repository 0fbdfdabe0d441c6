"""Issue 9 item 8: one bad transcript line never stops a history import; it is skipped and
counted (``memfs import``, ``init --history`` and the LSP ``memfs.init``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.importers import load_history, summarize
from testkit.model_server import ScriptedModel
from tests.lsp.conftest import command, start
from tests.security.keys import run

DEEP = "[" * 100_000 + "]" * 100_000


def hostile_claude(cwd: str) -> list[str]:
    """A Claude Code transcript whose bad lines come between two good prompts."""
    def record(**fields: Any) -> str:
        base = {"cwd": cwd, "sessionId": "s1", "timestamp": "2026-01-01T00:00:00Z"}
        return json.dumps({**base, **fields})

    return [
        record(type="user", message={"role": "user", "content": "first prompt"}),
        record(type={}, message={"role": "user", "content": "x"}),
        record(type=[], message=[]),
        record(type="user", message=[]),
        record(type="user", message={"role": "user", "content": {"odd": 1}}),
        record(type="assistant", message={"id": {}, "content": [{"type": {}}, 5, None]}),
        record(type="assistant", message={"id": "m", "content": [
            {"type": "tool_use", "id": [], "name": {}, "input": {"deep": [[[[1]]]]}}]}),
        record(type="system", subtype={}),
        '{"type": "user", "cwd": ' + DEEP,
        DEEP,
        record(type="user", message={"role": "user", "content": "second prompt"}),
    ]


def hostile_codex(cwd: str) -> list[str]:
    def line(kind: Any, payload: Any) -> str:
        return json.dumps({"timestamp": "2026-01-02T00:00:00Z", "type": kind,
                           "payload": payload})

    return [
        line("session_meta", {"id": "019b7f94-51b4-7593-922e-ba12b5b73b52", "cwd": cwd}),
        line("event_msg", {"type": "user_message", "message": "codex prompt"}),
        line({}, {"type": "user_message"}),
        line(["x"], []),
        line("response_item", {"type": {}, "role": []}),
        line("response_item", {"type": "message", "role": "assistant", "content": {"a": 1}}),
        line("event_msg", {"type": [], "message": {}}),
        json.dumps({"type": {}, "role": "user"}),
        DEEP,
        line("event_msg", {"type": "user_message", "message": "codex second"}),
    ]


def write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def hostile_transcripts(tmp_path: Path, workspace: Path) -> tuple[Path, Path]:
    claude, codex = tmp_path / "claude", tmp_path / "codex"
    write(claude / "projects" / "p" / "s1.jsonl", hostile_claude(str(workspace)))
    write(claude / "history.jsonl", [json.dumps({"display": {}, "project": {},
                                                 "sessionId": []}), DEEP])
    write(codex / "sessions" / "2026" / "01" / "02"
          / "rollout-2026-01-02-019b7f94-51b4-7593-922e-ba12b5b73b52.jsonl",
          hostile_codex(str(workspace)))
    write(codex / "history.jsonl", [json.dumps({"session_id": {}, "text": []}), DEEP])
    return claude, codex


def test_bad_lines_are_skipped_and_counted(workspace: Path, tmp_path: Path) -> None:
    claude, codex = hostile_transcripts(tmp_path, workspace)
    found = load_history(workspace, 100_000, claude_dir=claude, codex_dir=codex)
    texts = sorted(step.text for t in found for step in t.steps if step.kind == "user")
    assert texts == ["codex prompt", "codex second", "first prompt", "second prompt"]
    summary = summarize("claude-code", workspace, claude)
    skipped = summary.skipped
    assert skipped.get("malformed", 0) + skipped.get("unparsable", 0) >= 5, skipped
    assert summarize("codex", workspace, codex).skipped.get("malformed", 0) >= 3


def test_cli_import_reports_bad_lines(workspace: Path, tmp_path: Path) -> None:
    claude, codex = hostile_transcripts(tmp_path, workspace)
    env = {"CLAUDE_CONFIG_DIR": str(claude), "CODEX_HOME": str(codex)}
    for source in ("claude-code", "codex"):
        done = run("import", source, "--workspace", str(workspace), env=env)
        assert done.returncode == 0, done.stderr
        assert "skipped lines:" in done.stdout and "malformed" in done.stdout


def test_cli_init_with_history_survives_bad_lines(
    model: ScriptedModel, workspace: Path, tmp_path: Path
) -> None:
    claude, codex = hostile_transcripts(tmp_path, workspace)
    model.script("Done.")
    done = run("init", "--workspace", str(workspace), "--depth", "quick", "--history",
               env={"CLAUDE_CONFIG_DIR": str(claude), "CODEX_HOME": str(codex)})
    assert done.returncode == 0, done.stderr
    task = str(model.requests[0]["messages"][1]["content"])
    assert "second prompt" in task and "codex second" in task


async def test_lsp_init_with_history_survives_bad_lines(
    model: ScriptedModel, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    claude, codex = hostile_transcripts(tmp_path, workspace)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    monkeypatch.setenv("CODEX_HOME", str(codex))
    client, _ = await start("neovim", workspace, {"maxRetries": 1})
    try:
        model.script("Done.")
        result = await command(client, "memfs.init", {"depth": "quick", "history": True})
        assert result["sessions"] == 2 and result["usedModel"] is True
    finally:
        await client.shutdown_session()
        await client.stop()

