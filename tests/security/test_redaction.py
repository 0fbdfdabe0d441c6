"""Issue 9 item 3 (and the transcript part of item 4): credentials in workspace files and in
imported transcripts reach neither the model nor the database; results say what was
redacted."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from memfs.home import memfs_home
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.security.keys import AWS_SECRET, LINES, TOKENS, leaked, run


def dot_env() -> str:
    return "\n".join([
        "DEBUG=1",
        f"OPENAI_API_KEY={TOKENS['openai-project']}",
        f"GITHUB_TOKEN={TOKENS['github-fine-grained']}",
        LINES["aws-secret-assignment"],
        f"NPM_TOKEN={TOKENS['npm']}",
        "DEPLOY_KEY=\"",
        LINES["pem-body"],
        "\"",
    ]) + "\n"


def database_text() -> str:
    """Every message body stored in SQLite."""
    with sqlite3.connect(memfs_home() / "memfs.db") as db:
        rows = db.execute("SELECT body FROM messages").fetchall()
    return "\n".join(str(row[0]) for row in rows)


def test_workspace_tool_results_are_redacted_for_the_model_and_the_database(
    model: ScriptedModel, workspace: Path
) -> None:
    (workspace / ".env").write_text(dot_env())
    model.script(Reply(tool_calls=[ToolCall("read_file", {"path": ".env"}),
                                   ToolCall("search_files", {"query": "KEY"})]), "Done.")
    done = run("chat", "--workspace", str(workspace), "what is configured?")
    assert done.returncode == 0, done.stderr
    results = [str(m["content"]) for m in model.requests[-1]["messages"]
               if m["role"] == "tool"]
    assert len(results) == 2
    assert "DEBUG=1" in results[0] and "[REDACTED:" in results[0]
    assert "credentials redacted" in results[0] and "credential" in results[1]
    assert leaked(json.dumps(model.requests)) == []
    stored = database_text()
    assert "DEBUG=1" in stored and leaked(stored) == []


SESSION = f"s1-{TOKENS['github-fine-grained']}"  # a key where an id or a tool name goes


def claude_lines(cwd: str, text: str) -> list[dict[str, Any]]:
    return [
        {"type": "user", "cwd": cwd, "sessionId": SESSION, "timestamp": "2026-01-01T00:00:00Z",
         "message": {"role": "user", "content": text}},
        {"type": "assistant", "cwd": cwd, "sessionId": SESSION, "timestamp": "2026-01-01T00:00:01Z",
         "message": {"id": "m1", "role": "assistant", "model": "claude-x", "content": [
             {"type": "text", "text": f"noted: {text}"},
             {"type": "tool_use", "id": "t1", "name": f"Bash {TOKENS['npm']}",
              "input": {"command": f"export X={TOKENS['github-fine-grained']}"}}]}},
    ]


def codex_lines(cwd: str, text: str) -> list[dict[str, Any]]:
    def line(kind: str, **payload: Any) -> dict[str, Any]:
        return {"timestamp": "2026-01-02T00:00:00Z", "type": kind, "payload": payload}

    return [
        line("session_meta", id="019b7f94-51b4-7593-922e-ba12b5b73b52", cwd=cwd),
        line("event_msg", type="user_message", message=text),
        line("response_item", type="function_call", name="shell", call_id="c1",
             arguments=json.dumps({"command": ["echo", LINES["aws-secret-assignment"]]})),
        line("response_item", type="message", role="assistant",
             content=[{"type": "output_text", "text": f"ok {TOKENS['npm']}"}]),
    ]


def legacy_codex_lines(cwd: str, text: str) -> list[dict[str, Any]]:
    return [
        {"id": "44444444-4444-4444-8444-444444444444", "timestamp": "2025-05-01T10:00:00Z"},
        {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": f"<environment_context>\n<cwd>{cwd}</cwd>\n"
                                           "</environment_context>"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        {"type": "message", "role": "assistant", "content": [
            {"type": "output_text", "text": f"use {TOKENS['openai-project']}"}]},
    ]


def write_jsonl(path: Path, lines: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_transcripts_of_all_three_formats_reach_the_model_redacted(
    model: ScriptedModel, workspace: Path, tmp_path: Path
) -> None:
    cwd = str(workspace)
    prompt = f"my key: {LINES['github-fine-grained']}\nand {LINES['pem-body']}"
    claude, codex = tmp_path / "claude", tmp_path / "codex"
    write_jsonl(claude / "projects" / "p" / "s1.jsonl", claude_lines(cwd, prompt))
    write_jsonl(codex / "sessions" / "2026" / "01" / "02" / "rollout-2026-01-02-"
                "019b7f94-51b4-7593-922e-ba12b5b73b52.jsonl", codex_lines(cwd, prompt))
    write_jsonl(codex / "sessions" / "rollout-2025-05-01-44444444-4444-4444-8444-"
                "444444444444.jsonl", legacy_codex_lines(cwd, prompt))
    (workspace / "README.md").write_text("# Widget\n")
    model.script("Done.")
    done = run("init", "--workspace", cwd, "--depth", "quick", "--history",
               env={"CLAUDE_CONFIG_DIR": str(claude), "CODEX_HOME": str(codex)})
    assert done.returncode == 0, done.stderr
    task = str(model.requests[0]["messages"][1]["content"])
    assert "Past sessions (3)" in task and task.count("[REDACTED:") >= 9
    assert leaked(json.dumps(model.requests)) == [], leaked(task)
    assert AWS_SECRET not in task
