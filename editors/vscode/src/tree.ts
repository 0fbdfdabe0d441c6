// The "Agent Memory" tree: memory files from `memfs/tree` (in-context files marked), each with
// its last change from `memfs.memoryLog`; refreshed on `memfs/memoryChanged`.
import * as vscode from "vscode";
import { Server } from "./client";
import { relativeTime, sourceLabel } from "./core/format";
import { buildTree, lastChanges, TreeNode } from "./core/memoryTree";
import { LogEntry, TreeFile } from "./core/protocol";

const LOG_DEPTH = 200;

export class MemoryTree implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  root = "";
  private changes = new Map<string, LogEntry>();

  constructor(private readonly server: Server) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    if (!node.file) {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = vscode.ThemeIcon.Folder;
      return item;
    }
    const file = node.file;
    const change = this.changes.get(file.path);
    const when = change ? relativeTime(change.date) : "";
    const by = sourceLabel(change?.source);
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
    item.iconPath = new vscode.ThemeIcon(file.inContext ? "pinned" : "file");
    item.description = [file.inContext ? "in context" : "", when && by ? `${when} by ${by}` : when].filter(Boolean).join(" · ");
    item.tooltip = tooltip(file, change);
    item.resourceUri = vscode.Uri.parse(file.uri);
    item.contextValue = "memfs.memoryFile";
    item.command = { command: "vscode.open", title: "Open", arguments: [vscode.Uri.parse(file.uri)] };
    return item;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (node) {
      return node.children;
    }
    if (!this.server.running) {
      return [];
    }
    const [tree, log] = await Promise.all([
      this.server.request<{ root: string; files: TreeFile[] }>("memfs/tree", {}),
      this.server.command<{ commits: LogEntry[] }>("memfs.memoryLog", { limit: LOG_DEPTH }),
    ]);
    this.root = tree.root;
    this.changes = lastChanges(log.commits);
    return buildTree(tree.files);
  }
}

function tooltip(file: TreeFile, change: LogEntry | undefined): vscode.MarkdownString {
  const text = new vscode.MarkdownString();
  text.appendMarkdown(`**${file.path}**`);
  text.appendText(`\n\n${file.description ?? "(no description)"}\n\n`);
  text.appendText(`${file.tokens} tokens · ${file.inContext ? "always in the agent's context" : "read on demand"}`);
  if (change) {
    const by = sourceLabel(change.source);
    text.appendText(`\n\nLast change ${relativeTime(change.date)}${by ? ` by ${by}` : ""}: ${change.message.split("\n")[0]}`);
  }
  return text;
}
