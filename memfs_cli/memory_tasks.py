"""``memfs init | remember | doctor | sleeptime | reflect | review-reflection``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from agent.commands.remember import RememberResult, remember
from agent.reflection_runs import Run
from memfs_cli.agent_commands import runtime_for
from memfs_cli.chat import render
from memfs_cli.output import emit, emit_json, fail

if TYPE_CHECKING:
    from agent.commands.init import Depth


def _note(message: str) -> None:
    sys.stderr.write(f"  \u23bf {message}\n")


def _ask(question: str, choices: list[str], default: str) -> str:
    if not sys.stdin or not sys.stdin.isatty():
        return default
    answer = input(f"{question} [{'/'.join(choices)}] ({default}): ").strip().lower()
    return answer if answer in choices else default


def cmd_init(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    if runtime.workspace is None:
        return fail("init needs a project: run it inside a git repository, or pass "
                    "--workspace DIR")
    depth: Depth = args.depth or _ask("Research depth?", ["quick", "standard", "deep"],
                                      "standard")  # type: ignore[assignment]
    history = args.history
    if history is None:
        history = _ask("Read past Claude Code and Codex sessions?", ["y", "n"], "y") == "y"
    shared = args.project_memory
    if shared is None and runtime.project_memory() is None:
        shared = _ask("Put the project's essentials into project memory (.memfs/memory/, "
                      "shared with everyone on this repository through git)?", ["y", "n"],
                      "n") == "y"
    from agent.commands.init import init  # the model's tools load only for this command

    report = asyncio.run(init(runtime, depth, history, _note, shared))
    if args.json:
        emit_json(report.to_dict())
        return 0
    if report.project_created:
        emit(f"created project memory in {runtime.workspace}/.memfs/memory/ (review and "
             "commit it with your code)")
    for path in report.files:
        emit(f"wrote {path}")
    if report.message:
        emit(report.message)
    return 0


def cmd_remember(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    text = " ".join(args.text) if args.text else None

    async def run() -> int:
        code, outcome = 0, RememberResult()
        async for event in remember(runtime, text, args.conversation):
            outcome.add(event)
            result = render(event)
            if result is not None:
                code = result or code
        if code == 0 and not outcome.changed:
            return fail(f"nothing was remembered: {outcome.reason}")
        return code

    return asyncio.run(run())


def cmd_doctor(args: argparse.Namespace) -> int:
    from agent.commands.doctor import doctor  # the model's tools load only for this command

    report = asyncio.run(doctor(runtime_for(args), args.fix))
    if args.json:
        emit_json(report.to_dict())
        return 0
    for finding in report.findings:
        emit(str(finding))
    if not report.findings:
        emit("no findings")
    for commit in report.commits:
        emit(f"{str(commit['commit'])[:10]} {commit['message']}")
    if args.fix:
        emit(f"system/: ~{report.system_tokens_before} -> ~{report.system_tokens_after} tokens")
    return 0


def cmd_sleeptime(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    agent = runtime.agent(args.agent)
    changes = {k: v for k, v in {"trigger": args.trigger, "step_count": args.step_count,
                                 "merge": args.merge}.items() if v is not None}
    result = (runtime.set_sleeptime(agent.id, changes) if changes
              else runtime.sleeptime(agent.id))
    if args.json:
        emit_json(result.model_dump())
    else:
        emit(f"trigger: {result.trigger}, stepCount: {result.step_count}, "
             f"merge: {result.merge}")
    return 0


def _run_line(run: Run) -> str:
    when = datetime.fromtimestamp(run.started).strftime("%Y-%m-%d %H:%M:%S")
    text = f"{when}  {run.trigger:<10}  {run.status}"
    if run.status in ("queued", "running"):
        text += f" (process {run.pid})"
    if run.message:
        text += f": {run.message}"
    if run.commit:
        text += f" (commit {run.commit[:10]})"
    return text


def cmd_reflect(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    if args.status:
        agent = runtime.agent(args.agent)
        runs = runtime.runs.recent(agent.id, args.limit)
        if args.json:
            emit_json([r.to_dict() for r in runs])
            return 0
        config = runtime.sleeptime(agent.id)
        emit(f"{agent.name} ({agent.id}): trigger {config.trigger}"
             + (f" every {config.step_count} user messages" if config.trigger == "step_count"
                else "") + f", merge {config.merge}")
        emit("\n".join(_run_line(r) for r in runs) if runs else "no reflection has run yet")
        return 0
    outcome = asyncio.run(runtime.reflect(args.conversation, args.agent, args.trigger,
                                          args.run))
    if args.json:
        emit_json(outcome.to_dict())
    else:
        emit((f"run {args.run} ({args.trigger}, {outcome.agent_id}): " if args.run else "")
             + f"{outcome.status}: {outcome.message}")
    return 0 if outcome.status in ("merged", "review", "no_changes", "nothing_new") else 1


def cmd_review(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    agent = runtime.agent(args.agent)
    accept = True if args.accept else False if args.reject else None
    result = asyncio.run(runtime.reflections.review(agent.id, runtime.memory(agent), accept))
    if args.json:
        emit_json(result)
        return 1 if accept is not None and (result.get("error") or "accepted" not in result) \
            else 0
    if accept is not None and "accepted" not in result and not result.get("error"):
        return fail("no reflection is waiting for review, so there is nothing to "
                    f"{'accept' if accept else 'reject'} (see 'memfs reflect --status')")
    if result.get("error"):
        return fail(str(result["error"]))
    if accept is None:
        emit(str(result["diff"]) if result.get("pending")
             else "no reflection is waiting for review")
    else:
        emit(f"merged as {str(result['commit'])[:10]}" if accept else "rejected; dropped it")
    return 0


def register(groups: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the memory task commands."""
    p = groups.add_parser("init", help="learn the project (and past sessions) into memory")
    p.add_argument("--depth", choices=["quick", "standard", "deep"])
    history = p.add_mutually_exclusive_group()
    history.add_argument("--history", dest="history", action="store_true", default=None,
                         help="read past Claude Code and Codex sessions")
    history.add_argument("--no-history", dest="history", action="store_false")
    shared = p.add_mutually_exclusive_group()
    shared.add_argument("--project-memory", dest="project_memory", action="store_true",
                        default=None, help="put the project's essentials into project memory "
                        "(.memfs/memory/, shared through git; created if missing)")
    shared.add_argument("--no-project-memory", dest="project_memory", action="store_false")
    p.add_argument("--workspace")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_init)
    p = groups.add_parser("remember", help="one directed memory edit")
    p.add_argument("text", nargs="*")
    p.add_argument("--conversation")
    p.add_argument("--workspace")
    p.set_defaults(handler=cmd_remember)
    p = groups.add_parser("doctor", help="audit memory; --fix repairs it with the model")
    p.add_argument("--fix", action="store_true")
    p.add_argument("--workspace")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_doctor)
    p = groups.add_parser("sleeptime", help="show or set reflection settings")
    p.add_argument("--trigger", choices=["off", "step_count", "compaction"])
    p.add_argument("--step-count", type=int)
    p.add_argument("--merge", choices=["auto", "review"])
    p.add_argument("--workspace")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sleeptime)
    p = groups.add_parser("reflect", help="reflect on the conversation now; --status: the "
                          "latest reflections and how they ended")
    p.add_argument("--conversation")
    p.add_argument("--status", action="store_true", help="show the latest reflection runs")
    p.add_argument("--limit", type=int, default=5, help="runs shown by --status")
    p.add_argument("--workspace")
    p.add_argument("--json", action="store_true")
    p.add_argument("--trigger", default="manual", help=argparse.SUPPRESS)
    p.add_argument("--run", type=int, help=argparse.SUPPRESS)  # a queued background run
    p.set_defaults(handler=cmd_reflect)
    p = groups.add_parser("review-reflection", help="show, accept or reject a reflection")
    decision = p.add_mutually_exclusive_group()
    decision.add_argument("--accept", action="store_true")
    decision.add_argument("--reject", action="store_true")
    p.add_argument("--workspace")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_review)
