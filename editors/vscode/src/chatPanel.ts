// The chat view: a webview panel that streams memfs/chatDelta, shows tool calls and memory
// commits as chips (linking to the file and the commit), and has a Stop button. History is
// kept per conversation for the life of the window.
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { applyDelta, Delta, Part } from "./logic";

interface Turn { user: string; parts: Part[]; done: boolean; stopReason?: string }

export class ChatPanel {
  private panel: vscode.WebviewPanel | undefined;
  private history = new Map<string, Turn[]>();
  private conversation = "current";
  private current: { turn: Turn; seen: Set<number>; cancel: vscode.CancellationTokenSource } | undefined;

  constructor(private readonly client: LanguageClient, private readonly memoryRoot: () => string) {}

  open(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    this.panel = vscode.window.createWebviewPanel("memfs.chat", "memfs chat", vscode.ViewColumn.Beside,
      { enableScripts: true, retainContextWhenHidden: true });
    this.panel.webview.html = html();
    this.panel.onDidDispose(() => (this.panel = undefined));
    this.panel.webview.onDidReceiveMessage((message) => {
      if (message.type === "send") {
        void this.send(String(message.text));
      } else if (message.type === "stop") {
        this.current?.cancel.cancel();
      } else if (message.type === "openFile") {
        void vscode.window.showTextDocument(vscode.Uri.file(`${this.memoryRoot()}/${message.path}`));
      } else if (message.type === "showCommit") {
        void vscode.commands.executeCommand("memfs.ui.memoryLog", message.commit);
      }
    });
    this.render();
  }

  onDelta(delta: Delta): void {
    if (!this.current) {
      return;
    }
    this.current.turn.parts = applyDelta(this.current.turn.parts, delta, this.current.seen);
    this.render();
  }

  /** Send a message; resolves with the server's final result. */
  async send(text: string): Promise<any> {
    if (!text.trim() || this.current) {
      return undefined;
    }
    const turns = this.history.get(this.conversation) ?? [];
    const turn: Turn = { user: text, parts: [], done: false };
    turns.push(turn);
    this.history.set(this.conversation, turns);
    this.current = { turn, seen: new Set(), cancel: new vscode.CancellationTokenSource() };
    this.render();
    try {
      const result = await this.client.sendRequest<any>("memfs/chat", { text }, this.current.cancel.token);
      turn.stopReason = result.stopReason;
      if (result.conversationId && this.conversation === "current") {
        this.history.set(result.conversationId, turns);
        this.history.delete("current");
        this.conversation = result.conversationId;
      }
      return result;
    } catch (error) {
      turn.stopReason = this.current?.cancel.token.isCancellationRequested ? "cancelled" : "error";
      if (turn.stopReason === "error") {
        turn.parts.push({ kind: "error", message: String(error) });
      }
      return undefined;
    } finally {
      turn.done = true;
      this.current = undefined;
      this.render();
    }
  }

  switchTo(conversationId: string): void {
    this.conversation = conversationId;
    this.render();
  }

  private render(): void {
    void this.panel?.webview.postMessage({ type: "render", turns: this.history.get(this.conversation) ?? [], busy: !!this.current });
  }
}

function html(): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline';">
<style>
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 8px; }
.user { margin-top: 12px; font-weight: bold; } .reply { white-space: pre-wrap; margin: 4px 0 8px; }
.chip { display: inline-block; border-radius: 10px; padding: 1px 8px; margin: 2px; font-size: 90%;
  background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); cursor: pointer; }
.error { color: var(--vscode-errorForeground); } .meta { opacity: 0.7; font-size: 90%; }
#bar { display: flex; gap: 4px; margin-top: 8px; } textarea { flex: 1; min-height: 3em; }
</style></head><body>
<div id="log"></div>
<div id="bar"><textarea id="prompt" placeholder="Message the agent (Ctrl+Enter sends)"></textarea>
<button id="send">Send</button><button id="stop" disabled>Stop</button></div>
<script>
const vscode = acquireVsCodeApi();
const log = document.getElementById('log'), prompt = document.getElementById('prompt');
const send = () => { if (prompt.value.trim()) { vscode.postMessage({ type: 'send', text: prompt.value }); prompt.value = ''; } };
document.getElementById('send').onclick = send;
document.getElementById('stop').onclick = () => vscode.postMessage({ type: 'stop' });
prompt.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) send(); });
window.addEventListener('message', ({ data }) => {
  if (data.type !== 'render') return;
  document.getElementById('stop').disabled = !data.busy;
  document.getElementById('send').disabled = data.busy;
  log.replaceChildren();
  for (const turn of data.turns) {
    const user = document.createElement('div'); user.className = 'user'; user.textContent = turn.user; log.appendChild(user);
    const reply = document.createElement('div'); reply.className = 'reply'; reply.dataset.role = 'reply';
    for (const part of turn.parts) {
      if (part.kind === 'text') { reply.appendChild(document.createTextNode(part.text)); continue; }
      const chip = document.createElement('span');
      if (part.kind === 'tool') { chip.className = 'chip'; chip.textContent = part.label; }
      else if (part.kind === 'commit') {
        chip.className = 'chip commit'; chip.textContent = 'memory ' + part.commit.slice(0, 8) + ' ' + part.message;
        chip.title = part.paths.join(', ');
        chip.onclick = () => part.paths[0] ? vscode.postMessage({ type: 'openFile', path: part.paths[0] }) : vscode.postMessage({ type: 'showCommit', commit: part.commit });
      } else { chip.className = 'error'; chip.textContent = part.message; }
      reply.appendChild(chip);
    }
    log.appendChild(reply);
    if (turn.done && turn.stopReason && turn.stopReason !== 'end_turn') {
      const meta = document.createElement('div'); meta.className = 'meta'; meta.textContent = '(' + turn.stopReason + ')'; log.appendChild(meta);
    }
  }
  window.scrollTo(0, document.body.scrollHeight);
});
</script></body></html>`;
}
