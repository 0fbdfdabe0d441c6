// The "Agent Memory" tree: the memory files from `memfs/tree` (the agent's own, and the
// project's shared memory under `project/`), each with its scope, expiry and last change;
// memory edits waiting for the user's approval on top. Refreshed on `memfs/memoryChanged`.
import * as vscode from "vscode";
import { Approvals } from "./approvals";
import { Server } from "./client";
import { operationVerb } from "./core/format";
import { buildTree, fileDescription, fileDetails, isProjectFolder, TreeNode } from "./core/memoryTree";
import { Approval, Tree, TreeFile } from "./core/protocol";

type Node = TreeNode | { approvals: Approval[] } | { approval: Approval };

export class MemoryTree implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly server: Server, private readonly approvals: Approvals) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if ("approvals" in node) {
      const item = new vscode.TreeItem(`Waiting for your approval (${node.approvals.length})`, vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = new vscode.ThemeIcon("shield", new vscode.ThemeColor("notificationsWarningIcon.foreground"));
      item.contextValue = "memfs.approvals";
      return item;
    }
    if ("approval" in node) {
      const { approval } = node;
      const item = new vscode.TreeItem(`${operationVerb(approval.operation)} ${approval.path}`, vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon("diff");
      item.description = approval.reason;
      item.tooltip = `${approval.tier} memory: ${approval.reason}\n\n${approval.diff}`;
      item.command = { command: "memfs.ui.reviewApproval", title: "Review", arguments: [approval.id] };
      return item;
    }
    if (!node.file) {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      if (isProjectFolder(node)) {
        item.iconPath = new vscode.ThemeIcon("organization");
        item.description = "project memory, shared with the team";
        item.tooltip = "This repository's memory (.memfs/memory): edits land in your working tree for you to review and commit.";
      } else {
        item.iconPath = vscode.ThemeIcon.Folder;
      }
      return item;
    }
    const file = node.file;
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
    item.iconPath = icon(file);
    item.description = fileDescription(file);
    item.tooltip = tooltip(file);
    item.resourceUri = vscode.Uri.parse(file.uri);
    item.contextValue = "memfs.memoryFile";
    item.command = { command: "vscode.open", title: "Open", arguments: [vscode.Uri.parse(file.uri)] };
    return item;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node) {
      return "approvals" in node ? node.approvals.map((approval) => ({ approval })) : "approval" in node ? [] : node.children;
    }
    if (!this.server.running) {
      return [];
    }
    const tree = await this.server.request<Tree>("memfs/tree", {});
    const waiting = this.approvals.pending;
    return [...(waiting.length ? [{ approvals: waiting }] : []), ...buildTree(tree.files)];
  }
}

function icon(file: TreeFile): vscode.ThemeIcon {
  if (file.expired) return new vscode.ThemeIcon("history", new vscode.ThemeColor("list.warningForeground"));
  if (file.globs.length) return new vscode.ThemeIcon("target");
  return new vscode.ThemeIcon(file.inContext ? "pinned" : "file");
}

function tooltip(file: TreeFile): vscode.MarkdownString {
  const text = new vscode.MarkdownString();
  text.appendMarkdown(`**${file.path}**`);
  text.appendText(`\n\n${fileDetails(file).join("\n\n")}`);
  return text;
}
