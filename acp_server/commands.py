"""Slash commands, advertised with ``available_commands_update``: a prompt that starts with
one runs it. ``/remember`` is a turn (streamed like any other); ``/reflect``, ``/doctor``,
``/init``, ``/sleeptime`` and ``/agents`` run the agent's command and answer with its outcome
as the agent's message; ``/new`` moves the session to a fresh conversation."""

from __future__ import annotations

from dataclasses import dataclass

from acp.schema import AvailableCommand, AvailableCommandInput, UnstructuredCommandInput

from agent.agents import Agent
from agent.commands.doctor import DoctorReport
from agent.commands.init import InitReport
from agent.conversations import Conversation
from agent.reflection import Outcome
from agent.settings import Sleeptime
from memfs.errors import InvalidArgument


@dataclass(frozen=True)
class Command:
    name: str
    description: str
    hint: str | None = None


COMMANDS = (
    Command("remember", "make one memory edit: what you type, or what was just said",
            "what to remember (empty: the agent infers it)"),
    Command("reflect", "consolidate this conversation into memory now"),
    Command("doctor", "check memory for problems; '/doctor fix' repairs them with the model",
            "fix (optional)"),
    Command("init", "learn this project: read it (and past agent sessions) into memory"),
    Command("sleeptime", "show the agent's reflection settings, or change them",
            "trigger=off|step_count|compaction stepCount=N merge=auto|review (optional)"),
    Command("agents", "list the agents; '/agents ID' makes ID this folder's agent for new "
            "sessions", "agent id (optional)"),
    Command("new", "go on in a fresh conversation of this agent (the current one is kept)",
            "title (optional)"),
)
NAMES = {c.name for c in COMMANDS}


def available() -> list[AvailableCommand]:
    return [AvailableCommand(name=c.name, description=c.description,
                             input=AvailableCommandInput(UnstructuredCommandInput(hint=c.hint))
                             if c.hint else None) for c in COMMANDS]


def parse(text: str) -> tuple[str, str] | None:
    """``("remember", "tabs, not spaces")`` for ``/remember tabs, not spaces``; None when the
    text does not start with one of our commands."""
    if not text.startswith("/"):
        return None
    name, _, rest = text[1:].partition(" ")
    name = name.strip()
    return (name, rest.strip()) if name in NAMES else None


def reflected(outcome: Outcome) -> str:
    files = f" ({', '.join(outcome.files)})" if outcome.files else ""
    return f"Reflection {outcome.status.replace('_', ' ')}: {outcome.message}{files}"


def doctored(report: DoctorReport) -> str:
    lines = [f"- {f.path}:{f.start_line}: {f.message} ({f.code})" for f in report.findings]
    head = (f"Memory doctor: {len(report.findings)} finding(s); system/ is "
            f"{report.system_tokens_after} tokens.")
    tail = [report.summary] if report.summary else []
    if report.commits:
        tail.append(f"{len(report.commits)} repair commit(s).")
    return "\n".join([head, *lines, *tail])


def initialized(report: InitReport) -> str:
    files = "\n".join(f"- {f}" for f in report.files) or "(no files)"
    note = f"\n{report.message}" if report.message else ""
    return f"Init wrote:\n{files}{note}"


def sleeptime_changes(text: str) -> dict[str, str | int]:
    """``trigger=step_count stepCount=10`` as the changes ``Runtime.set_sleeptime`` takes."""
    changes: dict[str, str | int] = {}
    for pair in text.split():
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise InvalidArgument(f"/sleeptime takes key=value pairs, not {pair!r}",
                                  "e.g. /sleeptime trigger=step_count stepCount=10")
        changes[key] = int(value) if value.isdigit() else value
    return changes


def slept(config: Sleeptime) -> str:
    values = ", ".join(f"{k}: {v}" for k, v in config.to_dict().items())
    return f"Reflection settings of this agent: {values}."


def listed(agents: list[Agent], current: str, chosen: str | None) -> str:
    lines = [f"- {a.name} (`{a.id}`)" + (" \u2190 this session" if a.id == current else "")
             for a in agents]
    note = (f"New sessions in this folder now use `{chosen}`; this one stays with its agent."
            if chosen else "'/agents ID' makes ID this folder's agent for new sessions.")
    return "\n".join(["Agents:", *lines, note])


def started(conversation: Conversation, titled: bool, previous: str) -> str:
    name = (f"\u201c{conversation.title}\u201d (`{conversation.id}`)" if titled
            else f"`{conversation.id}` (titled after its first exchange)")
    return (f"New conversation {name}: this session's messages go there from now on, and it "
            f"is this folder's current conversation. The previous one (`{previous}`) is kept.")
