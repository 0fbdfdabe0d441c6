import { test } from "node:test";
import * as assert from "node:assert/strict";
import { serverSettings } from "../src/core/settings";

test("serverSettings sends only what is set (empty strings from the Settings UI are unset)", () => {
  assert.deepEqual(serverSettings({ model: " openai/x ", apiBase: "", agent: null, sleeptime: {}, tokenBudget: 20000 }),
    { model: "openai/x", tokenBudget: 20000 });
});
