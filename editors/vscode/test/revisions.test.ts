import { test } from "node:test";
import * as assert from "node:assert/strict";
import { commitDiffs, commitOf, parseRevision, revisionUri } from "../src/core/revisions";

test("revision URIs round-trip and keep the file name for the tab", () => {
  const uri = revisionUri({ path: "notes/a b.md", rev: "abc123^" });
  assert.equal(uri.scheme, "memfs-rev");
  assert.equal(uri.path, "/notes/a b.md");
  assert.deepEqual(parseRevision(uri.path, uri.query), { path: "notes/a b.md", rev: "abc123^" });
  assert.throws(() => parseRevision("/a.md", ""), /no revision/);
});

test("a commit's diff compares each path at the parent and at the commit", () => {
  const pairs = commitDiffs("abcdef1234", ["system/human.md", "notes/x.md"], "learn tabs\n\nbody");
  assert.deepEqual(pairs.map((p) => [p.before.rev, p.after.rev, p.path]), [
    ["abcdef1234^", "abcdef1234", "system/human.md"], ["abcdef1234^", "abcdef1234", "notes/x.md"]]);
  assert.equal(pairs[0].title, "human.md (abcdef12: learn tabs)");
  assert.equal(commitOf(pairs[0].before), "abcdef1234");
  assert.equal(commitOf(pairs[0].after), "abcdef1234");
});
