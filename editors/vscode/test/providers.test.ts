import { test } from "node:test";
import * as assert from "node:assert/strict";
import { currentName, modelString, PROVIDERS, validBaseUrl, validVariable } from "../src/core/providers";

const provider = (id: string) => PROVIDERS.find((p) => p.id === id)!;

test("a provider and a typed name make the litellm model string", () => {
  assert.equal(modelString(provider("openai"), " gpt-4.1 "), "openai/gpt-4.1");
  assert.equal(modelString(provider("anthropic"), "anthropic/claude-sonnet-4-5"), "anthropic/claude-sonnet-4-5");
  assert.equal(modelString(provider("compatible"), "qwen3"), "openai/qwen3");
  assert.equal(modelString(provider("other"), "gemini/gemini-2.5-pro"), "gemini/gemini-2.5-pro");
});

test("the current setting prefills only the provider it belongs to", () => {
  assert.equal(currentName(provider("openai"), "openai/gpt-4.1", undefined), "gpt-4.1");
  assert.equal(currentName(provider("compatible"), "openai/gpt-4.1", undefined), "");
  assert.equal(currentName(provider("compatible"), "openai/qwen3", "http://127.0.0.1:8080/v1"), "qwen3");
  assert.equal(currentName(provider("anthropic"), "openai/gpt-4.1", undefined), "");
  assert.equal(currentName(provider("other"), "gemini/x", undefined), "gemini/x");
});

test("keys go to the variables litellm reads; inputs are checked", () => {
  assert.equal(provider("openai").keyVariable, "OPENAI_API_KEY");
  assert.equal(provider("anthropic").keyVariable, "ANTHROPIC_API_KEY");
  assert.equal(provider("other").keyVariable, undefined);
  assert.ok(validVariable("GEMINI_API_KEY"));
  assert.ok(!validVariable("gemini key"));
  assert.ok(validBaseUrl("http://127.0.0.1:8080/v1"));
  assert.ok(!validBaseUrl("127.0.0.1:8080"));
  assert.ok(!validBaseUrl("file:///etc/passwd"));
});
