"""The light settings reader (``agent.setting_layers.quick``, used by ``memfs memory status``)
agrees with the full load: it only vouches for values the settings model accepts, and where it
answers, it answers what the full load does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from agent import setting_layers
from agent.settings import Settings, Sleeptime, load
from agent.trust import trust

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2**64) | st.floats(allow_nan=True)
    | st.sampled_from([0, 1, 10, 200, 201, 1023, 1024, 0.05, 0.1, 0.5, 0.95, 1.0, "",
                       "auto", "ask", "off", "review", "step_count", "compaction", "x"])
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(
        st.sampled_from(["personal", "project", "other"]), inner, max_size=3),
    max_leaves=4)


def test_the_readers_field_names_are_the_models() -> None:
    assert set(Settings.model_fields) == setting_layers.FIELDS
    assert set(Sleeptime.model_fields) == setting_layers.SLEEPTIME_FIELDS
    assert all(setting_layers.camel(name) == to_camel(name)
               for name in setting_layers.SLEEPTIME_FIELDS)


@given(key=st.sampled_from(sorted(setting_layers.FIELDS)), value=VALUES)
def test_a_value_the_reader_vouches_for_is_one_the_model_accepts(key: str, value: Any) -> None:
    try:
        setting_layers.Plain().setting({}, key, value)
    except setting_layers.Unsure:  # the reader gave up: the model decides
        return
    assert getattr(Settings.model_validate({key: value}), key) is not None


@given(name=st.sampled_from(sorted(setting_layers.SLEEPTIME_FIELDS)), value=VALUES)
def test_a_sleeptime_value_the_reader_vouches_for_is_one_the_model_accepts(
        name: str, value: Any) -> None:
    try:
        setting_layers.Plain().sleeptime({}, name, value)
    except setting_layers.Unsure:  # the reader gave up: the model decides
        return
    try:
        Sleeptime.model_validate({to_camel(name): value})
    except ValidationError as exc:
        pytest.fail(f"the reader took {value!r} for sleeptime.{name}: {exc}")


@pytest.mark.parametrize("trusted", [False, True])
def test_where_the_reader_answers_it_answers_what_the_full_load_does(
        isolated_env: Path, workspace: Path, trusted: bool) -> None:
    user = setting_layers.global_file()
    user.parent.mkdir(parents=True)
    user.write_text(json.dumps({"model": "openai/gpt-4o", "agent": "mine", "maxSteps": 30,
                                "approval": {"personal": "ask"}, "sleeptime": "weekly"}))
    (workspace / ".memfs").mkdir()
    (workspace / ".memfs" / "settings.json").write_text(json.dumps(
        {"agent": "theirs", "apiBase": "http://x", "maxSteps": 5,
         "sleeptime": {"trigger": "off"}}))
    (workspace / ".memfs" / "settings.local.json").write_text("{not json")
    if trusted:
        trust(workspace)
    quick = setting_layers.quick(workspace)
    full = load(workspace)
    assert quick is not None
    assert quick.problems == full.problems and len(quick.problems) == 2
    assert quick.withheld == full.withheld and len(quick.withheld) == (0 if trusted else 2)
    assert quick.sources == full.sources and quick.trusted == full.trusted == trusted
    assert quick.values["agent"] == full.settings.agent == ("theirs" if trusted else "mine")
    assert quick.sleeptime == full.sleeptime


def test_the_reader_gives_up_where_only_the_model_can_judge(isolated_env: Path) -> None:
    user = setting_layers.global_file()
    user.parent.mkdir(parents=True)
    user.write_text(json.dumps({"maxSteps": "30"}))  # the model's coercion, not the reader's
    assert setting_layers.quick(None) is None
    assert load(None).settings.max_steps == 30
