"""MemFS: an agent's memory as a git-backed folder of markdown files (no LLM, no LSP).

Modules: ``store`` (operations), ``repo`` (git and crash safety), ``projection`` (prompt),
``history``, ``backup``, ``export``, ``remote``, ``lint``, ``paths``, ``frontmatter``.
"""
