// The chat view's page shell: the bundled script and stylesheet under a strict content security
// policy (our own script by nonce, no inline styles, nothing fetched from elsewhere).
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";

export function chatHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString("base64");
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "dist", name));
  const source = webview.cspSource;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${source}; font-src ${source}; img-src ${source}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${asset("webview.css")}">
<title>memfs chat</title>
</head>
<body>
<div id="transcript" role="log" aria-live="polite" aria-label="Conversation">
  <div id="older" class="older" hidden>Loading earlier messages…</div>
  <div id="items"></div>
  <div id="approvals"></div>
  <div id="empty" class="empty-state" hidden></div>
  <div id="busy" class="busy" hidden><span class="codicon codicon-loading codicon-modifier-spin"></span><span id="busy-text">Thinking…</span></div>
</div>
<div id="banner" class="banner" hidden><span class="codicon codicon-warning"></span><span>No model is configured.</span><button id="banner-configure" class="link">Configure Model</button></div>
<div id="composer" class="composer">
  <textarea id="prompt" rows="1" placeholder="Ask the agent (Enter sends, Shift+Enter adds a line)" aria-label="Message"></textarea>
  <div class="composer-actions">
    <button id="send" class="icon-button send" title="Send (Enter)" aria-label="Send"><span class="codicon codicon-send"></span></button>
    <button id="stop" class="icon-button stop" title="Stop" aria-label="Stop" hidden><span class="codicon codicon-debug-stop"></span></button>
  </div>
</div>
<script nonce="${nonce}" src="${asset("webview.js")}"></script>
</body>
</html>`;
}
