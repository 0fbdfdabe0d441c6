import { test } from "node:test";
import * as assert from "node:assert/strict";
import { buildTree, lastChanges } from "../src/core/memoryTree";
import { TreeFile } from "../src/core/protocol";

const file = (path: string): TreeFile => ({ path, description: path, size: 4, tokens: 1, inContext: path.startsWith("system/"), uri: `file:///m/${path}` });

test("buildTree puts folders first and sorts names", () => {
  const tree = buildTree([file("zeta.md"), file("system/human.md"), file("alpha.md"), file("projects/a/notes.md")]);
  assert.deepEqual(tree.map((n) => n.name), ["projects", "system", "alpha.md", "zeta.md"]);
  assert.equal(tree[0].children[0].children[0].file?.path, "projects/a/notes.md");
});

test("lastChanges takes each path's newest commit from a newest-first log", () => {
  const entry = (commit: string, paths: string[]) => ({ commit, author: "A", date: "2026-01-01T00:00:00Z", message: commit, paths });
  const last = lastChanges([entry("c3", ["a.md"]), entry("c2", ["a.md", "b.md"]), entry("c1", ["c.md"])]);
  assert.deepEqual([...last].map(([path, e]) => [path, e.commit]), [["a.md", "c3"], ["b.md", "c2"], ["c.md", "c1"]]);
});
