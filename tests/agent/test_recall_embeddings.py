"""Semantic recall: message vectors from the scripted /v1/embeddings, fused with BM25; and
BM25 alone, saying nothing alarming, when embeddings are off or the provider fails."""

from __future__ import annotations

from pathlib import Path

from agent import embeddings
from agent.runtime import Runtime
from testkit.model_server import ScriptedModel
from tests.agent.test_recall import hits, say, search

EMBEDDING_MODEL = "openai/scripted-embedding"
WAIT = 60.0


def runtime_with_embeddings(workspace: Path) -> Runtime:
    return Runtime(workspace=workspace,
                   editor_settings={"maxRetries": 1, "embeddingModel": EMBEDDING_MODEL})


def seed(runtime: Runtime) -> None:
    agent = runtime.agent()
    old = runtime.conversations.new(agent.id, "Editor setup")
    say(runtime, old, "user", "Use the solarized color palette in the editor.")
    say(runtime, old, "assistant", "Done: the palette is set.")
    say(runtime, old, "user", "The staging database is called heliotrope.")


def vector_count(runtime: Runtime) -> int:
    return int(runtime.db.query("SELECT count(*) FROM message_vectors")[0][0])


async def test_embeddings_find_by_meaning_what_words_miss(model: ScriptedModel,
                                                           workspace: Path) -> None:
    runtime = runtime_with_embeddings(workspace)
    seed(runtime)
    worker = embeddings.start(runtime.db.path, embeddings.config(runtime.settings))
    assert worker.idle.wait(WAIT)
    assert vector_count(runtime) == 3
    result = await search(runtime, model, query="solarised colours")
    assert result.ok
    assert "solarized color palette" in hits(result.output)[0]
    assert "words and meaning" in result.output
    assert "heliotrope" not in "\n".join(hits(result.output))
    assert ["solarised colours"] in model.embedding_requests
    # the turn's own messages are embedded in the background after the turn
    assert worker.idle.wait(WAIT)
    assert vector_count(runtime) > 3


async def test_without_an_embedding_model_search_is_words_alone(
    runtime: Runtime, model: ScriptedModel
) -> None:
    seed(runtime)
    result = await search(runtime, model, query="solarised colours")
    assert result.ok and "no past messages match" in result.output
    found = await search(runtime, model, query="staging database")
    assert "heliotrope" in found.output and "ranked by words)" in found.output
    assert model.embedding_requests == []


async def test_a_failing_embedding_provider_leaves_search_on_words_and_work_pending(
    model: ScriptedModel, workspace: Path
) -> None:
    model.embedding_status = 500
    runtime = runtime_with_embeddings(workspace)
    seed(runtime)
    cfg = embeddings.config(runtime.settings)
    assert cfg is not None
    worker = embeddings.Worker(runtime.db.path, cfg)
    assert worker.step(runtime.db, cfg)  # the batch failed: retried after a delay
    assert vector_count(runtime) == 0 and worker.failures == 1
    result = await search(runtime, model, query="staging database")
    assert result.ok
    assert "**staging** **database** is called heliotrope" in result.output
    assert "ranked by words)" in result.output
    for word in ("error", "fail", "unavailable"):
        assert word not in result.output.lower()
    model.embedding_status = 200  # the provider is back: the pending messages get embedded
    while worker.step(runtime.db, cfg) is not None:
        pass
    assert vector_count(runtime) >= 3
