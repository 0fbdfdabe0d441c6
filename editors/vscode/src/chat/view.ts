// The chat view (a WebviewView in the memfs activity-bar container): shows the current
// conversation from `memfs/messages`, streams a turn from `memfs/chatDelta`, stops it with
// `$/cancelRequest`, and hands commits, code and model setup to the extension's commands.
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import { errorMessage, Server } from "../client";
import { Approval, ApprovalDecision, Commit, Delta, ChatResult, MessagesPage, ModelStatus, Status } from "../core/protocol";
import { LiveTurn, Transcript } from "../core/transcript";
import { HostMessage, ViewMessage } from "../core/viewMessages";
import { chatHtml } from "./html";

const PAGE = 50;

export interface ChatActions {
  openCommit(commit: Commit): Promise<void>;
  configureModel(): Promise<void>;
  approve(id: string, decision: ApprovalDecision, reason?: string): Promise<void>;
}

export class ChatView implements vscode.WebviewViewProvider {
  static readonly id = "memfs.chat";
  private view: vscode.WebviewView | undefined;
  private readonly transcripts = new Map<string, Transcript>();
  private shown = new Transcript(undefined);
  private live: { turn: LiveTurn; transcript: Transcript; cancel: vscode.CancellationTokenSource } | undefined;
  private status: Status | undefined;
  private offline: string | undefined;
  private approvals: Approval[] = [];

  constructor(private readonly server: Server, private readonly extensionUri: vscode.Uri,
    private readonly actions: ChatActions, private readonly output: vscode.OutputChannel) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, "dist")] };
    view.webview.html = chatHtml(view.webview, this.extensionUri);
    view.webview.onDidReceiveMessage((message: ViewMessage) => this.onMessage(message));
    view.onDidDispose(() => (this.view = undefined));
    this.showTitle();
  }

  get conversationId(): string | undefined {
    return this.shown.conversationId;
  }

  /** The server (re)started or the agent changed: show its current conversation. */
  async refresh(): Promise<void> {
    try {
      this.status = await this.server.request<Status>("memfs/status", {});
      this.offline = undefined;
    } catch (error) {
      this.offline = errorMessage(error);
      this.reset();
      return;
    }
    await this.show(this.status.conversation.id, this.status.conversation.title);
  }

  /** The server could not start: say so where the chat would be. */
  unavailable(reason: string): void {
    this.offline = reason;
    this.reset();
  }

  setModel(model: ModelStatus): void {
    if (this.status) {
      this.status.model = model;
    }
    this.post({ type: "model", model, agent: this.status?.agent.name });
  }

  /** Show a conversation: what this window has at once, then the server's newest page. */
  async show(conversationId: string, title?: string): Promise<void> {
    const transcript = this.transcripts.get(conversationId) ?? new Transcript(conversationId);
    this.transcripts.set(conversationId, transcript);
    if (title !== undefined) {
      transcript.title = title;
    }
    this.shown = transcript;
    this.showTitle();
    this.reset();
    if (this.live?.transcript !== transcript) {
      await this.loadPage(transcript);
    }
  }

  /** The memory edits this window is asked to approve (cards under the transcript). */
  showApprovals(approvals: Approval[]): void {
    this.approvals = approvals;
    this.post({ type: "approvals", approvals });
  }

  retitle(conversationId: string, title: string): void {
    const transcript = this.transcripts.get(conversationId);
    if (transcript) {
      transcript.title = title;
      this.showTitle();
    }
  }

  onDelta(delta: Delta): void {
    if (!this.live) {
      return;
    }
    const changed = this.live.turn.apply(delta);
    if (changed.length && this.live.transcript === this.shown) {
      this.post({ type: "upsert", items: changed });
    }
  }

  focusComposer(): void {
    this.view?.show(false);
  }

  /** Send one message in the shown conversation; resolves when the turn ends. */
  async send(text: string): Promise<void> {
    if (!text.trim() || this.live) {
      return;
    }
    const transcript = this.shown;
    const turn = new LiveTurn(transcript, text, `vscode-${randomUUID()}`);
    const cancel = new vscode.CancellationTokenSource();
    this.live = { turn, transcript, cancel };
    this.post({ type: "upsert", items: [turn.user] });
    this.postBusy();
    let changed;
    try {
      const result = await this.server.request<ChatResult>("memfs/chat",
        { text, chatId: turn.chatId, ...(transcript.conversationId ? { conversationId: transcript.conversationId } : {}) }, cancel.token);
      changed = turn.finish(result.stopReason);
      if (result.conversationId && result.conversationId !== transcript.conversationId) {
        transcript.conversationId = result.conversationId;
        this.transcripts.set(result.conversationId, transcript);
      }
    } catch (error) {
      changed = cancel.token.isCancellationRequested ? turn.finish("cancelled") : this.failure(turn, error);
    } finally {
      this.live = undefined;
      cancel.dispose();
    }
    if (transcript === this.shown) {
      this.post({ type: "upsert", items: changed });
    }
    this.postBusy();
  }

  stop(): void {
    this.live?.cancel.cancel();
  }

  private failure(turn: LiveTurn, error: unknown) {
    const data = (error as { data?: { message?: string; hint?: string } })?.data;
    return data?.message ? turn.fail(data.message, data.hint || undefined) : turn.fail(errorMessage(error));
  }

  private async loadPage(transcript: Transcript): Promise<void> {
    if (!transcript.conversationId) {
      return;
    }
    let page: MessagesPage;
    try {
      page = await this.server.request<MessagesPage>("memfs/messages", { conversationId: transcript.conversationId, limit: PAGE });
    } catch (error) {
      this.output.appendLine(`memfs: could not load the conversation: ${errorMessage(error)}`);
      return;
    }
    if (this.live?.transcript === transcript) {
      return; // a turn started meanwhile; its items are newer than the page
    }
    transcript.setPage(page);
    if (transcript === this.shown) {
      this.showTitle();
      this.reset();
    }
  }

  private async loadOlder(): Promise<void> {
    const transcript = this.shown;
    if (!transcript.hasMore || !transcript.before || !transcript.conversationId) {
      return;
    }
    try {
      const page = await this.server.request<MessagesPage>("memfs/messages",
        { conversationId: transcript.conversationId, before: transcript.before, limit: PAGE });
      const older = transcript.prependPage(page);
      if (transcript === this.shown) {
        this.post({ type: "prepend", items: older, hasMore: transcript.hasMore });
      }
    } catch (error) {
      this.output.appendLine(`memfs: could not load earlier messages: ${errorMessage(error)}`);
      this.post({ type: "prepend", items: [], hasMore: false });
    }
  }

  private onMessage(message: ViewMessage): void {
    switch (message.type) {
      case "ready":
        this.reset();
        break;
      case "send":
        void this.send(message.text);
        break;
      case "stop":
        this.stop();
        break;
      case "loadOlder":
        void this.loadOlder();
        break;
      case "openCommit":
        void this.actions.openCommit(message.commit).catch((error) =>
          vscode.window.showErrorMessage(`memfs: cannot show the commit: ${errorMessage(error)}`));
        break;
      case "copy":
        void vscode.env.clipboard.writeText(message.text).then(() => vscode.window.setStatusBarMessage("memfs: code copied", 3000));
        break;
      case "insert":
        void insertAtCursor(message.text, message.language);
        break;
      case "configureModel":
        void this.actions.configureModel();
        break;
      case "approve":
        void this.actions.approve(message.id, message.decision, message.reason).catch((error) =>
          vscode.window.showErrorMessage(`memfs: could not answer: ${errorMessage(error)}`));
        break;
    }
  }

  private reset(): void {
    this.post({ type: "reset", items: this.shown.items, hasMore: this.shown.hasMore, busy: this.live?.transcript === this.shown,
      model: this.status?.model, agent: this.status?.agent.name, offline: this.offline, approvals: this.approvals });
  }

  private postBusy(): void {
    this.post({ type: "busy", busy: this.live?.transcript === this.shown });
  }

  private post(message: HostMessage): void {
    void this.view?.webview.postMessage(message);
  }

  private showTitle(): void {
    if (this.view) {
      this.view.description = this.shown.title || "New conversation";
    }
  }
}

/** Code from a reply into the active editor (replacing each selection), or a new editor. */
async function insertAtCursor(text: string, language: string): Promise<void> {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (editor) {
    await editor.edit((edit) => editor.selections.forEach((selection) => edit.replace(selection, text)));
    await vscode.window.showTextDocument(editor.document, editor.viewColumn);
    return;
  }
  const known = await vscode.languages.getLanguages();
  const document = await vscode.workspace.openTextDocument({ content: text, language: known.includes(language) ? language : "plaintext" });
  await vscode.window.showTextDocument(document);
}
