// The providers "Configure Model" offers, and how a choice becomes the `memfs.model` string and
// the environment variable that carries its key. Pure (no `vscode`).

export interface Provider {
  id: "openai" | "anthropic" | "compatible" | "other";
  label: string;
  detail: string;
  /** litellm prefix put before the model name the user types */
  prefix: string;
  example: string;
  /** environment variable litellm reads the key from; undefined: ask */
  keyVariable?: string;
  baseUrl: "none" | "required" | "optional";
  keyOptional: boolean;
}

export const PROVIDERS: Provider[] = [
  { id: "openai", label: "OpenAI", detail: "GPT models with an OpenAI API key", prefix: "openai/", example: "gpt-4.1",
    keyVariable: "OPENAI_API_KEY", baseUrl: "none", keyOptional: false },
  { id: "anthropic", label: "Anthropic", detail: "Claude models with an Anthropic API key", prefix: "anthropic/", example: "claude-sonnet-4-5",
    keyVariable: "ANTHROPIC_API_KEY", baseUrl: "none", keyOptional: false },
  { id: "compatible", label: "OpenAI-compatible / local server", detail: "llama.cpp, vLLM, LM Studio, Ollama, a LiteLLM proxy",
    prefix: "openai/", example: "qwen3", keyVariable: "OPENAI_API_KEY", baseUrl: "required", keyOptional: true },
  { id: "other", label: "Other (litellm model string)", detail: "any provider litellm knows, e.g. gemini/gemini-2.5-pro",
    prefix: "", example: "gemini/gemini-2.5-pro", baseUrl: "optional", keyOptional: true },
];

/** The litellm model string for a provider and the name the user typed. */
export function modelString(provider: Provider, name: string): string {
  const trimmed = name.trim();
  return provider.prefix && !trimmed.startsWith(provider.prefix) ? provider.prefix + trimmed : trimmed;
}

/** The name to prefill when the current setting already belongs to this provider. */
export function currentName(provider: Provider, model: string | undefined, apiBase: string | undefined): string {
  if (!model) return "";
  if (provider.id === "other") return model;
  const local = !!apiBase;
  if ((provider.id === "compatible") !== local) return "";
  return model.startsWith(provider.prefix) ? model.slice(provider.prefix.length) : "";
}

/** Environment variable names are what litellm reads: upper case letters, digits, underscores. */
export function validVariable(name: string): boolean {
  return /^[A-Z][A-Z0-9_]*$/.test(name);
}

export function validBaseUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:";
  } catch {
    return false;
  }
}
