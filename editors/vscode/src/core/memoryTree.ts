// The Agent Memory tree's shape and labels: folders and files from `memfs/tree` (both tiers:
// the agent's own memory and the project's under `project/`), each file's scope, expiry and
// last change. Pure (no `vscode`).
import { relativeTime, sourceLabel } from "./format";
import { LastChange, TreeFile } from "./protocol";

export interface TreeNode {
  name: string;
  path: string;
  file?: TreeFile;
  children: TreeNode[];
}

/** A folder tree (folders first, then files, each sorted by name) from memory file paths. */
export function buildTree(files: TreeFile[]): TreeNode[] {
  const root: TreeNode = { name: "", path: "", children: [] };
  for (const file of files) {
    const parts = file.path.split("/");
    let node = root;
    parts.forEach((part, index) => {
      const path = parts.slice(0, index + 1).join("/");
      const leaf = index === parts.length - 1;
      let child = node.children.find((c) => c.name === part && leaf === !!c.file);
      if (!child) {
        child = { name: part, path, children: [], ...(leaf ? { file } : {}) };
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

/** The top folder of the project tier (its files' paths start with `project/`). */
export function isProjectFolder(node: TreeNode): boolean {
  const first = (n: TreeNode): TreeFile | undefined => n.file ?? n.children.map(first).find(Boolean);
  return !node.file && !node.path.includes("/") && first(node)?.tier === "project";
}

/** "2 h ago by you", "just now by the agent", "3 days ago by Ana" (a teammate's commit),
 *  "5 min ago, uncommitted"; "" without a change. */
export function changeLabel(change: LastChange | null, now: Date = new Date()): string {
  if (!change) {
    return "";
  }
  const when = relativeTime(change.date, now);
  switch (change.source) {
    case "git":
      return change.author ? `${when} by ${change.author}` : when;
    case "uncommitted":
      return `${when}, uncommitted`;
    case "file":
      return when;
    case "created":
      return `${when}, at creation`;
    default: {
      const by = sourceLabel(change.source);
      return by ? `${when} by ${by}` : when;
    }
  }
}

/** A file's row: whether it is in the agent's context, expired or scoped, then its last change. */
export function fileDescription(file: TreeFile, now: Date = new Date()): string {
  const state = file.expired ? `expired ${file.expires ?? ""}`.trim()
    : file.globs.length ? `scoped: ${file.globs.join(", ")}`
      : file.inContext ? "in context" : "";
  return [state, changeLabel(file.lastChange, now)].filter(Boolean).join(" · ");
}

/** The file's hover: tier, description, tokens, scope, expiry, last change. Plain lines. */
export function fileDetails(file: TreeFile, now: Date = new Date()): string[] {
  const tier = file.tier === "project" ? "project memory (shared with everyone on this repository)" : "the agent's own memory";
  const where = file.globs.length ? `loaded while you work on ${file.globs.join(", ")}`
    : file.inContext ? "always in the agent's context" : "read on demand";
  const lines = [file.description ?? "(no description)", `${file.tokens} tokens · ${where} · ${tier}`];
  if (file.expires) {
    lines.push(file.expired ? `Expired on ${file.expires}: out of the agent's context until reviewed` : `Expires on ${file.expires}`);
  }
  const change = file.lastChange;
  if (change) {
    lines.push(`Last change ${changeLabel(change, now)}${change.message ? `: ${change.message.split("\n")[0]}` : ""}`);
  }
  return lines;
}
