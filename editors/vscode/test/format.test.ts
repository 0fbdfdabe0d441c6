import { test } from "node:test";
import * as assert from "node:assert/strict";
import { modelDescription, operationVerb, relativeTime, sourceLabel, statusText, toolSummary } from "../src/core/format";

test("relativeTime reads ISO times and epoch seconds", () => {
  const now = new Date("2026-03-10T12:00:00Z");
  assert.equal(relativeTime("2026-03-10T11:59:30Z", now), "just now");
  assert.equal(relativeTime("2026-03-10T11:15:00Z", now), "45 min ago");
  assert.equal(relativeTime(Date.parse("2026-03-10T07:00:00Z") / 1000, now), "5 h ago");
  assert.equal(relativeTime("2026-03-09T08:00:00Z", now), "yesterday");
  assert.equal(relativeTime("2026-03-06T12:00:00Z", now), "4 days ago");
  assert.equal(relativeTime("2026-01-02T12:00:00Z", now), "2026-01-02");
  assert.equal(relativeTime(undefined, now), "");
  assert.equal(relativeTime("not a date", now), "");
});

test("statusText shows agent, model or its absence, and the state", () => {
  assert.equal(statusText("idle", "Memory Agent", { name: null, configured: false }, false), "$(database) Memory Agent · no model");
  assert.equal(statusText("busy", "A", { name: "openai/x", configured: true }, false), "$(sync~spin) A · openai/x");
  assert.equal(statusText("idle", "A", undefined, false), "$(database) A");
  assert.match(statusText("idle", "A", { name: "m", configured: true }, true), /reflecting/);
  assert.match(statusText("error", "A", { name: "m", configured: true }, false), /^\$\(warning\)/);
});

test("modelDescription names the source when the server gives it", () => {
  assert.equal(modelDescription({ name: "openai/x", configured: true, source: "editor" }), "openai/x (from editor)");
  assert.equal(modelDescription({ name: "openai/x", configured: true }), "openai/x");
  assert.equal(modelDescription({ name: null, configured: false, hint: "set one" }), "No model is configured.");
});

test("toolSummary and sourceLabel", () => {
  assert.equal(toolSummary("memory", { command: "str_replace", path: "system/human.md" }), "memory str_replace system/human.md");
  assert.equal(toolSummary("search", { query: "tabs" }), "search tabs");
  assert.equal(sourceLabel("manual"), "you");
  assert.equal(sourceLabel("chat"), "the agent");
  assert.equal(sourceLabel("agent"), "the agent");
  assert.equal(sourceLabel("remember"), "you (Remember)");
  assert.equal(sourceLabel("reflection"), "reflection");
  assert.equal(sourceLabel(undefined), "");
});

test("operationVerb names a memory edit in words", () => {
  assert.equal(operationVerb("str_replace"), "edit");
  assert.equal(operationVerb("create"), "create");
  assert.equal(operationVerb("delete"), "delete");
  assert.equal(operationVerb("some_thing"), "some thing");
});
