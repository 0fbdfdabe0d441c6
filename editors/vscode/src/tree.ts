// The "Agent Memory" tree view in the explorer, from memfs/tree, refreshed on memoryChanged.
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { buildTree, TreeFile, TreeNode } from "./logic";

export class MemoryTree implements vscode.TreeDataProvider<TreeNode> {
  private changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  root = "";

  constructor(private readonly client: LanguageClient) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    if (!node.file) {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = vscode.ThemeIcon.Folder;
      return item;
    }
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
    item.description = `${node.file.inContext ? "in context · " : ""}${node.file.tokens} tok`;
    item.tooltip = node.file.description ?? "(no description)";
    item.resourceUri = vscode.Uri.parse(node.file.uri);
    item.command = { command: "vscode.open", title: "Open", arguments: [vscode.Uri.parse(node.file.uri)] };
    return item;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (node) {
      return node.children;
    }
    const result = await this.client.sendRequest<{ root: string; files: TreeFile[] }>("memfs/tree", {});
    this.root = result.root;
    return buildTree(result.files);
  }
}
