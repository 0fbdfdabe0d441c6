"""The file model: frontmatter keys and a byte-exact body."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from memfs.errors import InvalidFrontmatter
from memfs.frontmatter import MemoryFile, check, load_yaml, parse
from memfs.store import MemoryStore


@example(body="", description="0\x85", crlf=False)
@example(body="x", description="line\u2028sep", crlf=True)
@given(
    body=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300),
    description=st.text(min_size=1, max_size=80).filter(lambda s: s.strip()),
    crlf=st.booleans(),
)
def test_render_parse_round_trips_body_exactly(body: str, description: str, crlf: bool) -> None:
    file = MemoryFile(description=description, body=body, newline="\r\n" if crlf else "\n")
    again = parse(file.render())
    assert again.body == body
    assert again.description == description


def test_body_bytes_survive_a_commit(store: MemoryStore) -> None:
    body = "ünïcødé ✓ 日本語\r\nmixed\nendings\rand no final newline"
    store.create("notes/exact.md", "Exactness", body, "exact")
    raw = store.repo.read_at("notes/exact.md")
    assert raw is not None
    assert parse(raw.decode("utf-8")).body == body
    assert raw.decode("utf-8").endswith("no final newline")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("no frontmatter at all\n", "no YAML frontmatter"),
        ("---\ndescription: ok\ncolor: blue\n---\nbody\n", "'color'"),
        ("---\ndescription: ''\n---\nbody\n", "description"),
        ("---\nread_only: true\n---\nbody\n", "description"),
        ("---\ndescription: [unclosed\n---\nbody\n", "not valid YAML"),
        ("---\ndescription: d\nread_only: maybe\n---\n", "read_only"),
        ("---\ndescription: d\nlimit: -3\n---\n", "limit"),
        ("---\ndescription: Notes\nlimit: \u00b2\n---\n", "limit"),
        # as when another line takes the file to YAML (paths: [...])
        ("---\ndescription: 'Notes \ufffe'\nlimit: 5\n---\n", "not valid YAML"),
    ],
)
def test_invalid_frontmatter_is_refused_with_the_reason(text: str, needle: str) -> None:
    with pytest.raises(InvalidFrontmatter, match=needle):
        parse(text, "x.md")


def test_skill_files_may_carry_a_name() -> None:
    text = "---\nname: deploy\ndescription: How to deploy\n---\nsteps\n"
    assert parse(text, "skills/deploy/SKILL.md").extra == {"name": "deploy"}
    with pytest.raises(InvalidFrontmatter, match="'name'"):
        parse(text, "notes/deploy.md")


@example(key="limit", value="\u00b2")  # a digit to str.isdigit, not to int(): a crash
@example(key="limit", value="\u0663")  # an Arabic-Indic 3: int() reads it, YAML gives text
@example(key="description", value="Notes \uffff")  # a character YAML refuses to read
@given(
    key=st.sampled_from(["description", "name", "limit", "read_only", "colour", "on", "null"]),
    value=st.text(alphabet="abcAZyYnN :#-'\"[]{}&*!|>%@`(),._019\t\\ü~\x85\u2028\x07",
                  max_size=30),
)
def test_fast_frontmatter_reader_agrees_with_yaml(key: str, value: str) -> None:
    _agrees(f"{key}: {value}")


@given(
    key=st.sampled_from(["description", "name", "on", "null"]),
    inner=st.text(alphabet="abc :#-'\"[]{}&*!|>%@`,\tü\x85\u2028", max_size=30),
    after=st.sampled_from(["", " ", "'", " # note"]),
)
@example(key="description", inner="Notes \ufffe", after="")
def test_fast_reader_takes_single_quoted_text_as_yaml_does(key: str, inner: str,
                                                          after: str) -> None:
    """Single-quoted text (how the serialiser writes a description holding ': ') is read
    without PyYAML, to the same value."""
    _agrees(f"{key}: '{inner}'{after}\nlimit: 5")


def _agrees(raw: str) -> None:
    try:  # in a file, the frontmatter's last line ends with a line break too
        expected = yaml.load(raw + "\n", Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        expected = "error"
    try:
        got = load_yaml(raw)
    except yaml.YAMLError:
        got = "error"
    assert got == expected



@example(value="yes", newline="\n")
@example(value="|\x85 0", newline="\n")  # a block scalar ends with the frontmatter's last line
@example(value="a\rb", newline="\n")
@example(value="'Who I am: a role, and ''quotes'''", newline="\n")
@example(value="'  padded  '", newline="\n")
@example(value="'a' b'", newline="\n")
@example(value="'a' # c", newline="\n")
@example(value="''", newline="\n")
@example(value="'\\t'", newline="\n")
@example(value="Plain words, as written", newline="\r\n")
@given(
    value=st.text(alphabet="abcAZyYnN :#-'\"[]{}&*!|>%@`(),._019\t\r\\ü~\x85\u2028\x07",
                  max_size=30),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_a_description_only_frontmatter_reads_as_the_full_reader_does(value: str, newline: str
                                                                       ) -> None:
    """The quick path for the common one-line frontmatter gives what the full reader gives
    (a second line, here a default ``read_only: false``, always takes the full reader)."""
    body = f"# Title{newline}text{newline}"
    quick, _ = check(f"---{newline}description: {value}{newline}---{newline}{body}")
    full, _ = check(f"---{newline}description: {value}{newline}read_only: false{newline}"
                    f"---{newline}{body}")
    assert quick == full


@example(value="yes")
@example(value="a\tb")
@example(value="Plain words, as written " * 60)
@given(value=st.text(alphabet="abcAZyYnN :#-'\"[]{}&*!|>%@`(),._019\t\\ü~\x85\u2028\u200b\x07"
                     "\ue000\ufffe\U0001f600", max_size=40))
def test_a_description_alone_renders_as_yaml_writes_it(value: str) -> None:
    """The quick writer for a lone description writes exactly what YAML writes."""
    text = MemoryFile(description=value, body="b\n").render() if value.strip() else None
    if text is not None:
        expected = yaml.safe_dump({"description": value}, sort_keys=False, allow_unicode=True,
                                  default_flow_style=False, width=10_000)
        if yaml.load(expected, Loader=yaml.CSafeLoader) == {"description": value}:
            assert text == f"---\n{expected}---\nb\n"
        assert parse(text).description == value


@pytest.mark.parametrize("keys", ["", "read_only: false\n"])
def test_a_block_description_keeps_its_line_break_wherever_it_stands(keys: str) -> None:
    """``description: |`` reads as YAML reads it in the file: its text and final line break,
    whether it is the frontmatter's last key or not."""
    text = f"---\ndescription: |\n  Who I am\n{keys}---\nbody\n"
    assert parse(text).description == "Who I am\n"
