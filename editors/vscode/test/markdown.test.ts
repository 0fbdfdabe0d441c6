import { test } from "node:test";
import * as assert from "node:assert/strict";
import { createMarkdown } from "../src/webview/markdown";

const md = createMarkdown();

test("replies render as markdown with fenced code", () => {
  const html = md.render("## Plan\n\n- **tabs**\n\n```python\nprint('hi')\n```\n");
  assert.match(html, /<h2>Plan<\/h2>/);
  assert.match(html, /<strong>tabs<\/strong>/);
  assert.match(html, /<pre><code class="language-python">print\('hi'\)\n<\/code><\/pre>/);
});

test("raw HTML from the model stays text, and images never load", () => {
  const html = md.render("<script>alert(1)</script> <img src=x onerror=alert(1)>\n\n![pixel](https://tracker.example/p.png?secret=1)");
  assert.ok(!html.includes("<script"), html);
  assert.ok(!html.includes("<img"), html);
  assert.match(html, /&lt;script&gt;/);
  assert.match(html, /<a href="https:\/\/tracker.example\/p.png\?secret=1">pixel<\/a>/);
});

test("javascript: links are not links", () => {
  assert.ok(!md.render("[x](javascript:alert(1))").includes("href"));
});
