"""MemFS: an agent's memory as a git-backed folder of markdown files (no LLM, no LSP).

Modules: ``store`` (operations), ``repo`` (git and crash safety), ``projection`` (prompt),
``history``, ``backup``, ``export``, ``remote``, ``lint``, ``paths``, ``frontmatter``.
"""

# The package version (pyproject reads it from here): importlib.metadata costs ~70 ms to import,
# on the start path of both commands.
__version__ = "0.1.0"
