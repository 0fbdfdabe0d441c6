import { test } from "node:test";
import * as assert from "node:assert/strict";
import { buildTree, changeLabel, fileDescription, fileDetails, isProjectFolder } from "../src/core/memoryTree";
import { TreeFile } from "../src/core/protocol";

const NOW = new Date("2026-03-10T12:00:00Z");
const file = (path: string, extra: Partial<TreeFile> = {}): TreeFile => ({
  path, description: path, size: 4, tokens: 1, inContext: path.startsWith("system/"), uri: `file:///m/${path}`,
  lastChange: null, tier: path.startsWith("project/") ? "project" : "personal", globs: [], expires: null, expired: false, ...extra,
});

test("buildTree puts folders first and sorts names", () => {
  const tree = buildTree([file("zeta.md"), file("system/human.md"), file("alpha.md"), file("projects/a/notes.md")]);
  assert.deepEqual(tree.map((n) => n.name), ["projects", "system", "alpha.md", "zeta.md"]);
  assert.equal(tree[0].children[0].children[0].file?.path, "projects/a/notes.md");
});

test("the project tier's top folder is told apart from a personal folder of that name", () => {
  const tree = buildTree([file("project/system/project.md"), file("projects/a.md"), file("system/human.md")]);
  assert.deepEqual(tree.map((n) => [n.name, isProjectFolder(n)]), [["project", true], ["projects", false], ["system", false]]);
  assert.equal(isProjectFolder(tree[0].children[0]), false);
});

test("changeLabel says when and who: the agent's sources, a teammate's commit, an uncommitted edit", () => {
  const at = (source: string, author: string | null = null) => ({ sha: null, date: "2026-03-10T10:00:00Z", author, source, message: null });
  assert.equal(changeLabel(at("manual"), NOW), "2 h ago by you");
  assert.equal(changeLabel(at("agent"), NOW), "2 h ago by the agent");
  assert.equal(changeLabel(at("reflection"), NOW), "2 h ago by reflection");
  assert.equal(changeLabel(at("git", "Ana"), NOW), "2 h ago by Ana");
  assert.equal(changeLabel(at("uncommitted"), NOW), "2 h ago, uncommitted");
  assert.equal(changeLabel(at("file"), NOW), "2 h ago");
  assert.equal(changeLabel(at("created"), NOW), "2 h ago, at creation");
  assert.equal(changeLabel(null, NOW), "");
});

test("a file's row marks it in context, scoped or expired", () => {
  const change = { sha: "c1", date: "2026-03-10T11:59:30Z", author: "A", source: "agent", message: "learn" };
  assert.equal(fileDescription(file("system/human.md", { lastChange: change }), NOW), "in context · just now by the agent");
  assert.equal(fileDescription(file("project/api.md", { globs: ["src/api/**", "*.sql"] }), NOW), "scoped: src/api/**, *.sql");
  assert.equal(fileDescription(file("system/old.md", { expires: "2026-01-01", expired: true, inContext: false }), NOW), "expired 2026-01-01");
  const details = fileDetails(file("project/api.md", { globs: ["src/api/**"], lastChange: change }), NOW);
  assert.match(details[1], /loaded while you work on src\/api\/\*\* · project memory/);
  assert.equal(details[2], "Last change just now by the agent: learn");
});
