"""The memory commands: init, remember, doctor (sleeptime and reflect live beside them in
``agent.sleeptime`` and ``agent.reflection``). Each is usable from the CLI and over LSP."""
