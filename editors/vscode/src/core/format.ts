// Short texts the extension shows (status item, pickers, tool rows). Pure (no `vscode`).
import { ModelStatus } from "./protocol";

/** "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", or the date. */
export function relativeTime(when: string | number | undefined, now: Date = new Date()): string {
  if (when === undefined || when === "") {
    return "";
  }
  const date = typeof when === "number" ? new Date(when * 1000) : new Date(when);
  if (Number.isNaN(date.getTime())) {
    return "";
  }
  const seconds = Math.max(0, (now.getTime() - date.getTime()) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  const days = Math.floor(seconds / 86400);
  if (days === 1) return "yesterday";
  if (days < 7) return `${days} days ago`;
  return date.toISOString().slice(0, 10);
}

/** The status bar text: agent, model (or "no model"), and busy / reflecting / error state. */
export function statusText(state: string, agent: string, model: ModelStatus | undefined, reflecting: boolean): string {
  const icon = state === "error" ? "$(warning)" : state === "busy" ? "$(sync~spin)" : reflecting ? "$(lightbulb)" : "$(database)";
  const name = model === undefined ? "" : model.configured && model.name ? ` · ${model.name}` : " · no model";
  return `${icon} ${agent}${name}${reflecting ? " · reflecting" : ""}`;
}

/** "openai/gpt-4.1 (from editor settings)" or what is missing. */
export function modelDescription(model: ModelStatus): string {
  if (!model.configured || !model.name) {
    return "No model is configured.";
  }
  return model.source ? `${model.name} (from ${model.source})` : model.name;
}

/** A tool call in one line: its name, the memory command and the path or query it works on. */
export function toolSummary(name: string, args: Record<string, unknown>): string {
  const command = typeof args.command === "string" ? ` ${args.command}` : "";
  const target = args.path ?? args.old_path ?? args.query ?? args.pattern ?? "";
  return `${name}${command} ${typeof target === "string" ? target : JSON.stringify(target)}`.trim();
}

/** A memory tool's operation as a verb: "edit", "create", "delete", "rename" (else as named). */
export function operationVerb(operation: string): string {
  switch (operation) {
    case "str_replace":
    case "insert":
    case "append":
    case "replace":
      return "edit";
    default:
      return operation.replace(/_/g, " ");
  }
}

/** Who made a memory change, in the user's words. */
export function sourceLabel(source: string | undefined): string {
  switch (source) {
    case undefined:
    case "":
      return "";
    case "manual":
      return "you";
    case "agent":
    case "chat":
      return "the agent";
    case "revert":
      return "a revert";
    case "doctor":
      return "the doctor";
    case "remember":
      return "you (Remember)";
    case "import":
      return "an import";
    case "external":
      return "another program";
    default:
      return source;
  }
}
