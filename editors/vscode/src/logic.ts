// Pure logic of the extension (no `vscode` import), unit-tested with node:test.

export interface TreeFile {
  path: string;
  description: string | null;
  size: number;
  tokens: number;
  inContext: boolean;
  uri: string;
}

export interface TreeNode {
  name: string;
  path: string;
  file?: TreeFile;
  children: TreeNode[];
}

/** Build a folder tree (folders first, then files, sorted) from memory file paths. */
export function buildTree(files: TreeFile[]): TreeNode[] {
  const root: TreeNode = { name: "", path: "", children: [] };
  for (const file of files) {
    const parts = file.path.split("/");
    let node = root;
    parts.forEach((part, index) => {
      const path = parts.slice(0, index + 1).join("/");
      let child = node.children.find((c) => c.name === part && (index < parts.length - 1) === !c.file);
      if (!child) {
        child = { name: part, path, children: [] };
        if (index === parts.length - 1) {
          child.file = file;
        }
        node.children.push(child);
      }
      node = child;
    });
  }
  const sort = (nodes: TreeNode[]): TreeNode[] =>
    nodes
      .sort((a, b) => Number(!!a.file) - Number(!!b.file) || a.name.localeCompare(b.name))
      .map((n) => ({ ...n, children: sort(n.children) }));
  return sort(root.children);
}

/** Settings sent to the server: only the memfs keys that are set. */
export function serverSettings(config: Record<string, unknown>): Record<string, unknown> {
  const keys = ["model", "apiBase", "agent", "contextWindow", "tokenBudget", "maxSteps", "sleeptime"];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = config[key];
    if (value !== null && value !== undefined && !(typeof value === "object" && Object.keys(value as object).length === 0)) {
      out[key] = value;
    }
  }
  return out;
}

export interface Delta {
  chatId: string;
  seq: number;
  kind: string;
  text?: string;
  name?: string;
  arguments?: Record<string, unknown>;
  ok?: boolean;
  commit?: string;
  paths?: string[];
  message?: string;
  hint?: string;
}

export type Part =
  | { kind: "text"; text: string }
  | { kind: "tool"; label: string; ok?: boolean }
  | { kind: "commit"; commit: string; message: string; paths: string[] }
  | { kind: "error"; message: string };

/** Fold one streamed delta into a reply's parts (in seq order; duplicates ignored). */
export function applyDelta(parts: Part[], delta: Delta, seen: Set<number>): Part[] {
  if (seen.has(delta.seq)) {
    return parts;
  }
  seen.add(delta.seq);
  const last = parts[parts.length - 1];
  switch (delta.kind) {
    case "text":
      if (last && last.kind === "text") {
        return [...parts.slice(0, -1), { kind: "text", text: last.text + (delta.text ?? "") }];
      }
      return [...parts, { kind: "text", text: delta.text ?? "" }];
    case "toolCallStarted": {
      const args = delta.arguments ?? {};
      const target = String(args.path ?? args.query ?? "");
      const command = args.command ? ` ${String(args.command)}` : "";
      return [...parts, { kind: "tool", label: `${delta.name}${command} ${target}`.trim() }];
    }
    case "toolCallFinished":
      return delta.ok === false ? [...parts, { kind: "error", message: `${delta.name} failed` }] : parts;
    case "memoryCommit":
      return [...parts, { kind: "commit", commit: delta.commit ?? "", message: delta.message ?? "", paths: delta.paths ?? [] }];
    case "error":
      return [...parts, { kind: "error", message: delta.hint ? `${delta.message} (${delta.hint})` : delta.message ?? "" }];
    default:
      return parts;
  }
}

/** The status bar text for a memfs/status payload. */
export function statusText(status: { state?: string; agent?: string; model?: string | null }, reflecting: boolean): string {
  const icon = status.state === "error" ? "$(warning)" : status.state === "busy" ? "$(sync~spin)" : reflecting ? "$(lightbulb)" : "$(database)";
  const agent = status.agent ?? "memfs";
  const model = status.model ? ` · ${status.model}` : " · no model";
  return `${icon} ${agent}${model}${reflecting ? " · reflecting" : ""}`;
}
