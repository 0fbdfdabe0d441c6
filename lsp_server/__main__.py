"""``python -m lsp_server``."""

from lsp_server.cli import main

main()
