import { test } from "node:test";
import * as assert from "node:assert/strict";
import { applyDelta, buildTree, Delta, Part, serverSettings, statusText, TreeFile } from "../src/logic";

const file = (path: string): TreeFile => ({ path, description: path, size: 4, tokens: 1, inContext: path.startsWith("system/"), uri: `file:///m/${path}` });

test("buildTree puts folders first and sorts names", () => {
  const tree = buildTree([file("zeta.md"), file("system/human.md"), file("alpha.md"), file("projects/a/notes.md")]);
  assert.deepEqual(tree.map((n) => n.name), ["projects", "system", "alpha.md", "zeta.md"]);
  assert.equal(tree[0].children[0].children[0].file?.path, "projects/a/notes.md");
});

test("serverSettings sends only what is set", () => {
  assert.deepEqual(serverSettings({ model: "openai/x", apiBase: null, sleeptime: {}, tokenBudget: 20000 }),
    { model: "openai/x", tokenBudget: 20000 });
});

test("applyDelta streams text, chips and errors in order, once", () => {
  const seen = new Set<number>();
  let parts: Part[] = [];
  const deltas: Delta[] = [
    { chatId: "c", seq: 1, kind: "toolCallStarted", name: "memory", arguments: { command: "create", path: "a.md" } },
    { chatId: "c", seq: 2, kind: "memoryCommit", commit: "abc", message: "learn", paths: ["a.md"] },
    { chatId: "c", seq: 3, kind: "text", text: "Hel" },
    { chatId: "c", seq: 4, kind: "text", text: "lo" },
    { chatId: "c", seq: 4, kind: "text", text: "lo" },
  ];
  for (const d of deltas) parts = applyDelta(parts, d, seen);
  assert.deepEqual(parts, [
    { kind: "tool", label: "memory create a.md" },
    { kind: "commit", commit: "abc", message: "learn", paths: ["a.md"] },
    { kind: "text", text: "Hello" },
  ]);
  parts = applyDelta(parts, { chatId: "c", seq: 5, kind: "error", message: "boom", hint: "retry" }, seen);
  assert.deepEqual(parts[parts.length - 1], { kind: "error", message: "boom (retry)" });
});

test("statusText shows agent, model and state", () => {
  assert.equal(statusText({ state: "idle", agent: "Memory Agent", model: null }, false), "$(database) Memory Agent · no model");
  assert.equal(statusText({ state: "busy", agent: "A", model: "m" }, false), "$(sync~spin) A · m");
  assert.match(statusText({ state: "idle", agent: "A", model: "m" }, true), /reflecting/);
});
