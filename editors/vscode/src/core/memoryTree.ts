// The Agent Memory tree's shape: folders and files from `memfs/tree`, each file's last change
// from `memfs.memoryLog`. Pure (no `vscode`).
import { LogEntry, TreeFile } from "./protocol";

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

/** Each path's newest commit, from a newest-first log. */
export function lastChanges(log: LogEntry[]): Map<string, LogEntry> {
  const last = new Map<string, LogEntry>();
  for (const entry of log) {
    for (const path of entry.paths) {
      if (!last.has(path)) {
        last.set(path, entry);
      }
    }
  }
  return last;
}
