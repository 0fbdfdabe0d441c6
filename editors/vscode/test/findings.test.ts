import { test } from "node:test";
import * as assert from "node:assert/strict";
import { findingsSummary, problemsByPath } from "../src/core/findings";

test("findings group by file with 0-based lines; those without lines sit on the first", () => {
  const problems = problemsByPath([
    { code: "broken-link", severity: "warning", path: "a.md", startLine: 3, endLine: 3, message: "broken link [[x]]" },
    { code: "missing-description", severity: "error", path: "a.md", startLine: 1, endLine: 2, message: "no description" },
    { code: "budget", severity: "info", path: "system/human.md", message: "over budget" },
  ]);
  assert.deepEqual([...problems.keys()], ["a.md", "system/human.md"]);
  assert.deepEqual(problems.get("a.md")!.map((p) => [p.startLine, p.endLine, p.severity]), [[2, 2, "warning"], [0, 1, "error"]]);
  assert.deepEqual(problems.get("system/human.md")!.map((p) => [p.startLine, p.endLine, p.severity]), [[0, 0, "info"]]);
});

test("findingsSummary counts by severity", () => {
  assert.equal(findingsSummary([]), "No findings");
  const f = (severity: string) => ({ code: "c", severity, path: "a.md", message: "m" });
  assert.equal(findingsSummary([f("error"), f("warning"), f("warning")]), "3 findings: 1 error, 2 warnings");
  assert.equal(findingsSummary([f("info")]), "1 finding: 1 note");
});
