// memfs for VS Code: starts memfs-lsp, mirrors the memfs.* settings to it, and adds the chat
// view, the memory tree, the status item, palette commands and the @memory participant. All
// logic stays in the server.
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { ChatPanel } from "./chatPanel";
import { startClient } from "./client";
import { registerCommands } from "./commands";
import { Delta } from "./logic";
import { registerParticipant } from "./participant";
import { StatusItem } from "./status";
import { MemoryTree } from "./tree";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("memfs");
  context.subscriptions.push(output);
  client = await startClient(output);
  if (!client) {
    return;
  }
  const tree = new MemoryTree(client);
  const chat = new ChatPanel(client, () => tree.root);
  const status = new StatusItem(client);
  const listeners = new Set<(delta: Delta) => void>();
  context.subscriptions.push(
    vscode.window.registerTreeDataProvider("memfs.memoryTree", tree), status,
    client.onNotification("memfs/chatDelta", (delta: Delta) => {
      chat.onDelta(delta);
      listeners.forEach((listener) => listener(delta));
    }),
    client.onNotification("memfs/memoryChanged", () => tree.refresh()),
    client.onNotification("memfs/status", (s: { state: string; message: string }) => {
      status.update(s.state, s.message);
      void status.load().catch((error) => output.appendLine(`memfs: status: ${String(error)}`));
    }),
    client.onNotification("memfs/reflection", (outcome: { status: string; message: string }) => {
      status.reflecting = false;
      status.render();
      void vscode.window.setStatusBarMessage(`memfs: reflection ${outcome.status}: ${outcome.message}`, 8000);
    }),
  );
  registerCommands(context, client, chat, tree);
  registerParticipant(context, client, listeners);
  void status.load().catch((error) => output.appendLine(`memfs: status: ${String(error)}`));
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
