// The chat view's title-bar actions: New Conversation, the conversation picker, Rename.
import * as vscode from "vscode";
import { Server } from "../client";
import { relativeTime } from "../core/format";
import { Conversation, ConversationList } from "../core/protocol";
import { ChatView } from "./view";

interface Pick extends vscode.QuickPickItem { id: string }

export async function newConversation(server: Server, chat: ChatView): Promise<void> {
  const conversation = await server.command<Conversation>("memfs.newConversation", {});
  await vscode.commands.executeCommand(`${ChatView.id}.focus`);
  await chat.show(conversation.id, conversation.title);
}

export async function pickConversation(server: Server, chat: ChatView): Promise<void> {
  const listed = await server.command<ConversationList>("memfs.listConversations", {});
  const current = chat.conversationId ?? listed.current;
  const items: Pick[] = listed.conversations.map((c) => {
    const count = c.messageCount === undefined ? "" : `${c.messageCount} message${c.messageCount === 1 ? "" : "s"}`;
    return {
      id: c.id,
      label: `${c.id === current ? "$(check) " : ""}${c.title || "New conversation"}`,
      description: relativeTime(c.lastActivity),
      detail: count || undefined,
    };
  });
  const pick = await vscode.window.showQuickPick(items, { placeHolder: "Switch to a conversation", matchOnDescription: true });
  if (!pick) {
    return;
  }
  const conversation = await server.command<Conversation>("memfs.switchConversation", { conversationId: pick.id });
  await vscode.commands.executeCommand(`${ChatView.id}.focus`);
  await chat.show(conversation.id, conversation.title);
}

export async function renameConversation(server: Server, chat: ChatView): Promise<void> {
  const conversationId = chat.conversationId;
  if (!conversationId) {
    return;
  }
  const title = await vscode.window.showInputBox({ prompt: "Title of this conversation",
    validateInput: (value) => (value.trim() ? undefined : "a title is needed") });
  if (!title) {
    return;
  }
  await server.command("memfs.renameConversation", { conversationId, title: title.trim() });
  chat.retitle(conversationId, title.trim());
}
