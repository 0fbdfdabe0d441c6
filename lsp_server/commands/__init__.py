"""``workspace/executeCommand`` handlers: one object argument each, validated by name.

A command is a function ``(ls, *args)`` in one of these modules, listed in
``lsp_server.server.COMMANDS``; adding a command means adding one function (or module).
"""
