// memfs for VS Code: starts memfs-lsp (keys from the secret storage in its environment), and
// wires the chat view, the memory tree, history diffs, the doctor's findings, the status item,
// the palette commands and the @memory participant to it. All logic stays in the server.
import * as vscode from "vscode";
import { State } from "vscode-languageclient/node";
import { Approvals } from "./approvals";
import { ChatView } from "./chat/view";
import { errorMessage, Server } from "./client";
import { registerCommands } from "./commands";
import { configureModel } from "./configureModel";
import { Approval, Delta, StatusNotice } from "./core/protocol";
import { SCHEME } from "./core/revisions";
import { Doctor } from "./doctor";
import { openCommit, RevisionDocuments } from "./history";
import { registerParticipant } from "./participant";
import { ProviderKeys } from "./secrets";
import { StatusItem } from "./status";
import { MemoryTree } from "./tree";

let server: Server | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("memfs");
  const keys = new ProviderKeys(context);
  server = new Server(output, keys);
  const srv = server;
  const approvals = new Approvals(srv);
  const tree = new MemoryTree(srv, approvals);
  const treeView = vscode.window.createTreeView("memfs.memoryTree", { treeDataProvider: tree });
  const status = new StatusItem(srv);
  const doctor = new Doctor(srv);
  const chat = new ChatView(srv, context.extensionUri, {
    openCommit,
    configureModel: () => vscode.commands.executeCommand("memfs.ui.configureModel") as Promise<void>,
    approve: (id, decision, reason) => approvals.answer(id, decision, reason),
  }, output);
  approvals.view = chat;
  const listeners = new Set<(delta: Delta) => void>();
  const projectMemory = vscode.workspace.createFileSystemWatcher("**/.memfs/memory/**");

  const refresh = async () => {
    try {
      await status.load();
    } catch (error) {
      output.appendLine(`memfs: status: ${errorMessage(error)}`);
    }
    try {
      await approvals.load();
    } catch (error) {
      output.appendLine(`memfs: pending approvals: ${errorMessage(error)}`);
    }
    tree.refresh();
    sendActiveDocument();
    await chat.refresh();
  };
  /** Which file the user works in: the scoped memories that apply to it join the next turn. */
  const sendActiveDocument = () => {
    if (!srv.running) return;
    const uri = vscode.window.activeTextEditor?.document.uri;
    void srv.client.sendNotification("memfs/activeDocument", { uri: uri?.scheme === "file" ? uri.toString() : null });
  };
  const restart = async () => {
    if (srv.startFailed) {
      const choice = await vscode.window.showInformationMessage("memfs: reload the window to start the language server again.", "Reload Window");
      if (choice) await vscode.commands.executeCommand("workbench.action.reloadWindow");
      return;
    }
    try {
      await srv.start();
    } catch (error) {
      const reason = srv.describeFailure(error);
      status.stopped(reason);
      chat.unavailable(reason);
      void vscode.window.showErrorMessage(reason, "Open Settings")
        .then((choice) => choice && vscode.commands.executeCommand("workbench.action.openSettings", "memfs.server.command"));
    }
  };

  context.subscriptions.push(
    output, status, doctor, approvals, treeView,
    vscode.window.registerWebviewViewProvider(ChatView.id, chat),
    approvals.onDidChange(() => {
      // the badge sits on the tree's view: a webview view's badge cannot be cleared in VS Code
      // 1.10x (WebviewViewPane drops an `undefined` badge without removing the shown one)
      const count = approvals.pending.length;
      treeView.badge = count ? { value: count, tooltip: `${count} memory edit${count === 1 ? "" : "s"} waiting for your approval` } : undefined;
      tree.refresh();
    }),
    srv.client.onRequest("memfs/approve", (approval: Approval, token) => approvals.ask(approval, token)),
    srv.client.onNotification("memfs/approvalsChanged", (changed: { approvals: Approval[] }) => approvals.update(changed.approvals)),
    vscode.window.onDidChangeActiveTextEditor(() => sendActiveDocument()),
    projectMemory,
    // project memory is files in the workspace (a pull, an edit here): the tree follows them;
    // the server announces them too (memfs/memoryChanged, tier project)
    projectMemory.onDidCreate(() => tree.refresh()),
    projectMemory.onDidChange(() => tree.refresh()),
    projectMemory.onDidDelete(() => tree.refresh()),
    treeView.onDidChangeVisibility((event) => event.visible && tree.refresh()), // fresh when shown
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, new RevisionDocuments(srv)),
    srv.client.onDidChangeState((event) => {
      if (event.newState === State.Running) {
        void refresh();
      } else if (event.newState === State.Stopped) {
        output.appendLine("memfs: the language server stopped");
      }
    }),
    srv.client.onNotification("memfs/chatDelta", (delta: Delta) => {
      chat.onDelta(delta);
      listeners.forEach((listener) => listener(delta));
    }),
    srv.client.onNotification("memfs/memoryChanged", () => tree.refresh()),
    srv.client.onNotification("memfs/status", (notice: StatusNotice) => {
      status.notice(notice);
      if (notice.model) chat.setModel(notice.model);
    }),
    srv.client.onNotification("memfs/conversationChanged", (changed: { conversationId: string; title: string }) =>
      chat.retitle(changed.conversationId, changed.title)),
    srv.client.onNotification("memfs/reflection", (outcome: { status: string; message: string }) => {
      status.reflecting = false;
      status.render();
      void vscode.window.setStatusBarMessage(`memfs: reflection ${outcome.status}: ${outcome.message}`, 8000);
    }),
    vscode.workspace.onDidOpenTextDocument((document) => doctor.forget(document.uri)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("memfs.server.command")) {
        void restart();
      }
    }),
  );

  registerCommands(context, {
    server: srv, chat, tree, doctor, approvals, refresh,
    configureModel: async () => {
      if (await configureModel(keys)) {
        await restart(); // the new key reaches the server through its environment
      }
    },
    forgetKeys: async () => {
      const forgotten = await keys.forget();
      void vscode.window.showInformationMessage(forgotten.length
        ? `memfs: removed the stored ${forgotten.join(", ")}` : "memfs: no API keys were stored");
      if (forgotten.length) await restart();
    },
  });
  registerParticipant(context, srv, listeners);
  await restart();
}

export async function deactivate(): Promise<void> {
  await server?.client.stop();
}
