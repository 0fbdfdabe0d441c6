"""Path safety: every memory path is normalised here and checked before any read or write,
and every read of the user's files is confined to the folder it was asked to read.

A memory path is relative to the memory root, uses ``/`` and names a markdown file.
``memory/notes`` and ``/abs/root/notes.md`` both normalise to ``notes.md``. Memory paths are
NFC-normalised and may not hold invisible, bidirectional-control or other control characters;
a *new* memory file's name must also be one every common OS and git read as written
(``check_new_name``).
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path, PurePosixPath

from memfs.errors import InvalidPath

MAX_PATH_CHARS = 512
_FIX = "use a path relative to the memory root, such as 'system/human.md' or 'notes/project.md'"


def normalize(path: str, root: Path | None = None, *, markdown: bool = True) -> str:
    """Return the canonical memory-relative form of ``path`` or raise InvalidPath.

    A leading ``memory/`` is dropped and a missing ``.md`` is added when ``markdown`` is set.
    An absolute path is accepted only when it lies inside ``root``. The result is NFC.
    """
    if isinstance(path, str):
        path = unicodedata.normalize("NFC", path)
        check_characters(path)
    parts = _clean_parts(path, root, allow_hidden=False)
    if parts[0] == "memory":
        parts = parts[1:]
    if not parts:
        raise InvalidPath(f"memory path {path!r} names the memory root, not a file", _FIX)
    if markdown:
        last = parts[-1]
        suffix = PurePosixPath(last).suffix
        if not suffix:
            parts[-1] = last + ".md"
        elif suffix != ".md":
            raise InvalidPath(
                f"memory path {path!r} is not a markdown file", "memory files end in '.md'"
            )
    return "/".join(parts)


def normalize_workspace(path: str, root: Path) -> str:
    """Canonical workspace-relative path ('' for the root): the memory rules, except that
    hidden files such as ``.github/`` are readable (``.git`` never is)."""
    if path.strip() in ("", ".", "/"):
        return ""
    return "/".join(_clean_parts(path, root, allow_hidden=True))


def _clean_parts(path: str, root: Path | None, *, allow_hidden: bool) -> list[str]:
    if not isinstance(path, str) or not path.strip():
        raise InvalidPath("empty path", _FIX)
    if len(path) > MAX_PATH_CHARS:
        raise InvalidPath(f"path longer than {MAX_PATH_CHARS} characters", _FIX)
    if "\x00" in path:
        raise InvalidPath("path contains a NUL byte", _FIX)
    if any(ord(ch) < 32 for ch in path):
        raise InvalidPath("path contains a control character", _FIX)
    if "\\" in path:
        raise InvalidPath(f"path {path!r} contains a backslash", "use '/' between folders")
    if path.startswith("~"):
        raise InvalidPath(f"path {path!r} starts with '~'", _FIX)
    if path.startswith("/"):
        path = _strip_absolute(path, root)
    parts = [p for p in PurePosixPath(path).parts if p not in ("", ".")]
    if not parts:
        raise InvalidPath(f"path {path!r} names the root, not a file", _FIX)
    for part in parts:
        if part == "..":
            raise InvalidPath(f"path {path!r} climbs out with '..'", _FIX)
        if part.startswith("~"):
            raise InvalidPath(f"path {path!r} has a component starting with '~'", _FIX)
        if part == ".git" or (part.startswith(".") and not allow_hidden):
            raise InvalidPath(f"path {path!r} has a hidden component {part!r}", _FIX)
    return parts


def normalize_folder(path: str, root: Path | None = None) -> str:
    """Canonical form of a folder path inside memory; '' is the root itself."""
    if path.strip() in ("", ".", "/", "memory", "memory/"):
        return ""
    return normalize(path, root, markdown=False)


def _strip_absolute(path: str, root: Path | None) -> str:
    if root is None:
        raise InvalidPath(f"absolute path {path!r} is outside memory", _FIX)
    root_str = os.path.realpath(root)
    candidate = os.path.normpath(path)
    if candidate != root_str and not candidate.startswith(root_str + os.sep):
        raise InvalidPath(f"absolute path {path!r} is outside memory", _FIX)
    return os.path.relpath(candidate, root_str)


# Unicode categories never allowed in a memory path: format characters (zero-width spaces and
# joiners, bidirectional controls, BOM), controls, private use, surrogates, line and paragraph
# separators, unassigned code points.
_BANNED_CATEGORIES = {"Cf": "an invisible or bidirectional-control character",
                      "Cc": "a control character", "Co": "a private-use character",
                      "Cs": "a surrogate", "Zl": "a line separator",
                      "Zp": "a paragraph separator", "Cn": "an unassigned character"}
_CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
_WINDOWS_RESERVED = re.compile(r"(?i)(?:CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(?:\..*)?")
_WINDOWS_BAD_CHARS = set('<>:"|?*')
_WORDS = re.compile(r"[^\W\d_]+")  # runs of letters
_NAME_FIX = "use letters, digits, '-', '_' and '.', e.g. 'notes/project-setup.md'"


def check_characters(path: str) -> None:
    """Refuse a path holding a character that hides or disguises what it names."""
    for ch in path:
        category = unicodedata.category(ch)
        if category in _BANNED_CATEGORIES or (category == "Zs" and ch != " "):
            what = _BANNED_CATEGORIES.get(category, "a space that is not an ordinary space")
            raise InvalidPath(
                f"path {path.encode('unicode_escape').decode('ascii')!r} holds {what} "
                f"(U+{ord(ch):04X})", _NAME_FIX)


def check_new_name(rel: str) -> None:
    """Refuse a new memory path that would deceive a reader, or that git or a common OS would
    not read as written: a component starting with '-' (an option to many commands) or ':'
    (git pathspec magic), characters Windows cannot hold (``<>:"|?*``), Windows' reserved
    device names (``CON``, ``NUL``, ``COM1``... with any extension), a trailing dot or space,
    compatibility characters (fullwidth letters, ligatures) and a word mixing Latin,
    Cyrillic or Greek letters (a homoglyph, as in 'systеm' with a Cyrillic 'е')."""
    check_characters(rel)
    if unicodedata.normalize("NFC", rel) != rel:
        raise InvalidPath(f"path {rel!r} is not in Unicode normal form C", _NAME_FIX)
    for part in rel.split("/"):
        problem = _name_problem(part)
        if problem:
            raise InvalidPath(f"memory path {rel!r}: {problem}", _NAME_FIX)


def _name_problem(part: str) -> str | None:
    if part.startswith("-"):
        return f"{part!r} starts with '-' (commands would read it as an option)"
    if part.startswith(":"):
        return f"{part!r} starts with ':' (git would read it as pathspec magic)"
    bad = sorted(_WINDOWS_BAD_CHARS.intersection(part))
    if bad:
        return f"{part!r} holds {' '.join(bad)}, which Windows cannot hold in a name"
    if _WINDOWS_RESERVED.fullmatch(part):
        return f"{part!r} is a reserved device name on Windows"
    if part.endswith((".", " ")) or part.startswith(" "):
        return f"{part!r} starts or ends with a space or ends with a dot"
    if unicodedata.normalize("NFKC", part) != part:
        return f"{part!r} holds compatibility characters (fullwidth letters, ligatures...)"
    for word in _WORDS.findall(part):
        scripts = {unicodedata.name(ch, "").split(" ", 1)[0] for ch in word}
        mixed = sorted(scripts.intersection(_CONFUSABLE_SCRIPTS))
        if len(mixed) > 1:
            return (f"{part.encode('unicode_escape').decode('ascii')!r} mixes "
                    f"{' and '.join(s.title() for s in mixed)} letters in one word "
                    "(a look-alike name)")
    return None


def confine(root: Path, path: Path) -> Path:
    """The real path of ``path`` when it lies inside ``root`` once every symlink on the way is
    resolved (whichever component is the link); InvalidPath otherwise. Reads of the user's
    files go through here, so a link never leads a read out of the folder it was asked for."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise InvalidPath(
            f"{path} leads outside {root} through a symbolic link",
            "only files inside the folder can be read; links out of it are not followed",
        )
    return Path(real)


def inside(root: Path, path: Path) -> Path | None:
    """``confine`` without the error: the real path, or None when it leads outside."""
    try:
        return confine(root, path)
    except InvalidPath:
        return None


def resolve(root: Path, rel: str) -> Path:
    """Absolute path of an already-normalised ``rel`` under ``root``.

    Refuses any symlink along the way (including the final component) and anything
    that would land outside the root.
    """
    current = root
    for part in rel.split("/"):
        current = current / part
        if current.is_symlink():
            raise InvalidPath(
                f"memory path {rel!r} goes through a symlink ({current.name})",
                "memory files and folders must be real files, not links",
            )
    real_root = os.path.realpath(root)
    real = os.path.realpath(current)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise InvalidPath(f"memory path {rel!r} resolves outside memory", _FIX)
    return current


def walk(root: Path) -> tuple[list[str], set[str]]:
    """(files, folders) of a memory working tree, memory-relative, skipping hidden entries
    (``.git``) and symlinks."""
    files: list[str] = []
    folders: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and not os.path.islink(os.path.join(dirpath, d)))
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        if prefix:
            folders.add(rel_dir)
        for name in filenames:
            if not name.startswith(".") and not os.path.islink(os.path.join(dirpath, name)):
                files.append(prefix + name)
    return sorted(files), folders


def stats(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime in ns, size) of each file ``walk`` finds: a cheap fingerprint of a folder as it
    is on disk (a file gone meanwhile is left out)."""
    found: dict[str, tuple[int, int]] = {}
    for rel in walk(root)[0]:
        try:
            st = os.lstat(root / rel)
        except OSError:
            continue
        found[rel] = (st.st_mtime_ns, st.st_size)
    return found
