"""memfs over the Agent Client Protocol (ACP): a second front door beside ``lsp_server``.

A thin adapter on the official ``acp`` SDK: ACP sessions are our conversations, a prompt is a
turn of ``agent.runtime.Runtime.chat`` streamed as ``session/update`` notifications, memory
edits under ``approval: ask`` go through ``session/request_permission``. It imports ``agent``
and ``memfs``, never ``lsp_server`` or pygls.
"""
