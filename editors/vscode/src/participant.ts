// The @memory chat participant, where the VS Code Chat API exists: relays to memfs/chat.
import * as vscode from "vscode";
import { Server } from "./client";
import { Delta } from "./core/protocol";

export function registerParticipant(context: vscode.ExtensionContext, server: Server,
  listeners: Set<(delta: Delta) => void>): void {
  const chatApi = (vscode as any).chat;
  if (!chatApi?.createChatParticipant) {
    return; // an editor build without the Chat API: the chat view covers it
  }
  const participant = chatApi.createChatParticipant("memfs.memory",
    async (request: any, _context: any, stream: any, token: vscode.CancellationToken) => {
      const listener = (delta: Delta) => {
        if (delta.kind === "text" && delta.text) stream.markdown(delta.text);
        if (delta.kind === "memoryCommit") stream.progress(`memory: ${delta.message}`);
      };
      listeners.add(listener);
      try {
        await server.request("memfs/chat", { text: request.prompt }, token);
      } finally {
        listeners.delete(listener);
      }
      return {};
    });
  context.subscriptions.push(participant);
}
