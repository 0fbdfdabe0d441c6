// The `memfs` settings section as the server receives it. Pure (no `vscode`).

const KEYS = ["model", "apiBase", "agent", "contextWindow", "tokenBudget", "maxSteps", "sleeptime"];

/** Only the keys that are set: an empty string, null or {} leaves the server's own value. */
export function serverSettings(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = config[key];
    const empty = value === null || value === undefined || (typeof value === "string" && value.trim() === "") ||
      (typeof value === "object" && Object.keys(value as object).length === 0);
    if (!empty) {
      out[key] = typeof value === "string" ? value.trim() : value;
    }
  }
  return out;
}
