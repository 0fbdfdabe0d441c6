"""``textDocument/definition`` on a ``[[link]]`` in a memory file: the file it points to."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lsprotocol import types

from lsp_server.features.documents import memory_file
from memfs import links

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

_START = types.Range(start=types.Position(line=0, character=0),
                     end=types.Position(line=0, character=0))


async def definition(ls: MemfsServer, params: types.DefinitionParams
                     ) -> list[types.LocationLink] | types.Location | None:
    """The linked memory file (a location link, whose origin is the whole ``[[...]]``, when
    the client takes those); None anywhere else, or for a link to nothing."""
    uri = params.text_document.uri
    caps = ls.client_capabilities.text_document
    link_support = bool(caps and caps.definition and caps.definition.link_support)

    def compute() -> list[types.LocationLink] | types.Location | None:
        found = memory_file(uri)
        if found is None:
            return None
        store, _ = found
        lines = ls.workspace.get_text_document(uri).lines
        if params.position.line >= len(lines):
            return None
        link = links.link_at(lines[params.position.line], params.position.character)
        target = links.resolve(link.target, set(store.list_files())) if link else None
        if link is None or target is None:
            return None
        line = params.position.line
        if not link_support:
            return types.Location(uri=(store.root / target).as_uri(), range=_START)
        return [types.LocationLink(
            target_uri=(store.root / target).as_uri(), target_range=_START,
            target_selection_range=_START,
            origin_selection_range=types.Range(
                start=types.Position(line=line, character=link.start),
                end=types.Position(line=line, character=link.end)))]

    return await asyncio.to_thread(compute)
