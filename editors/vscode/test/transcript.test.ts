import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Delta, Item, MessagesPage } from "../src/core/protocol";
import { LiveTurn, Transcript } from "../src/core/transcript";

const delta = (seq: number, fields: Partial<Delta>): Delta => ({ chatId: "c", seq, kind: "text", ...fields });
const shape = (items: Item[]) => items.map(({ id, time, ...rest }) => rest);

test("a streamed turn becomes user, reply, tool call, commit and reply items in order", () => {
  const transcript = new Transcript("conv");
  const turn = new LiveTurn(transcript, "line one\nline two", "c", () => "2026-01-01T00:00:00Z");
  turn.apply(delta(1, { text: "Let me " }));
  turn.apply(delta(2, { text: "note that." }));
  turn.apply(delta(2, { text: "note that." })); // a repeated seq is ignored
  turn.apply(delta(3, { kind: "toolCallStarted", callId: "k1", name: "memory", arguments: { command: "create", path: "a.md" } }));
  turn.apply(delta(4, { kind: "toolCallFinished", callId: "k1", name: "memory", ok: true, output: "created a.md" }));
  turn.apply(delta(5, { kind: "memoryCommit", commit: "abc123", paths: ["a.md"], message: "learn a" }));
  turn.apply(delta(6, { text: "Done." }));
  turn.finish("end_turn");
  assert.deepEqual(shape(transcript.items), [
    { kind: "user", text: "line one\nline two", status: "complete" },
    { kind: "agent", text: "Let me note that.", status: "complete" },
    { kind: "toolCall", toolCall: { callId: "k1", name: "memory", arguments: { command: "create", path: "a.md" }, ok: true, output: "created a.md", error: undefined }, status: "complete" },
    { kind: "memoryCommit", commit: { sha: "abc123", paths: ["a.md"], message: "learn a" } },
    { kind: "agent", text: "Done.", status: "complete" },
  ]);
});

test("a delta of another turn (a late one of a stopped turn) is not folded into this one", () => {
  const transcript = new Transcript("conv");
  const turn = new LiveTurn(transcript, "next", "c");
  assert.deepEqual(turn.apply({ ...delta(1, { text: "LATE" }), chatId: "stopped" }), []);
  turn.apply(delta(1, { text: "After." }));
  turn.finish("end_turn");
  assert.deepEqual(shape(transcript.items).map((i) => i.text), ["next", "After."]);
});

test("a failed tool call carries its reason: the error field, else the output", () => {
  const transcript = new Transcript("conv");
  const turn = new LiveTurn(transcript, "go", "c");
  turn.apply(delta(1, { kind: "toolCallStarted", callId: "a", name: "memory", arguments: {} }));
  turn.apply(delta(2, { kind: "toolCallStarted", callId: "b", name: "memory", arguments: {} }));
  const [first] = turn.apply(delta(3, { kind: "toolCallFinished", callId: "a", ok: false, error: "no memory file x.md", output: "Error" }));
  const [second] = turn.apply(delta(4, { kind: "toolCallFinished", callId: "b", ok: false, output: "refused: read-only" }));
  assert.equal(first.toolCall?.error, "no memory file x.md");
  assert.equal(first.status, "error");
  assert.equal(second.toolCall?.error, "refused: read-only");
});

test("stopping marks the reply interrupted, unfinished tool calls stopped, and says so when nothing came", () => {
  const transcript = new Transcript("conv");
  const turn = new LiveTurn(transcript, "long story", "c");
  turn.apply(delta(1, { text: "Once upon" }));
  turn.apply(delta(2, { kind: "toolCallStarted", callId: "t", name: "memory", arguments: {} }));
  turn.finish("cancelled");
  assert.deepEqual(transcript.items.map((i) => [i.kind, i.status]), [["user", "complete"], ["agent", "interrupted"], ["toolCall", "interrupted"]]);

  const empty = new Transcript("conv");
  new LiveTurn(empty, "hi", "c").finish("cancelled");
  assert.deepEqual(empty.items.map((i) => [i.kind, i.status, i.text]), [["user", "complete", "hi"], ["agent", "interrupted", ""]]);
});

test("errors: streamed ones keep their hint; a refused request adds one", () => {
  const transcript = new Transcript("conv");
  const turn = new LiveTurn(transcript, "hi", "c");
  turn.apply(delta(1, { kind: "error", code: "provider", message: "The model provider failed", hint: "try again" }));
  turn.fail("No model is configured", "run Configure Model");
  assert.deepEqual(shape(transcript.items).slice(1), [
    { kind: "error", text: "The model provider failed", hint: "try again", status: "error" },
    { kind: "error", text: "No model is configured", hint: "run Configure Model", status: "error" },
  ]);
});

test("pages: the newest replaces, older ones go before without duplicates", () => {
  const item = (id: string): Item => ({ id, kind: "user", time: "2026-01-01T00:00:00Z", text: id });
  const page = (ids: string[], hasMore: boolean, before: string | null): MessagesPage =>
    ({ conversationId: "conv", title: "Tabs", items: ids.map(item), hasMore, before });
  const transcript = new Transcript("conv");
  transcript.setPage(page(["3", "4"], true, "3"));
  assert.equal(transcript.title, "Tabs");
  const older = transcript.prependPage(page(["1", "2", "3"], false, null));
  assert.deepEqual(older.map((i) => i.id), ["1", "2"]);
  assert.deepEqual(transcript.items.map((i) => i.id), ["1", "2", "3", "4"]);
  assert.equal(transcript.hasMore, false);
});
