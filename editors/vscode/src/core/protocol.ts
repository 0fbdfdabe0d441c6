// The shapes the memfs server sends (camelCase on the wire; README's protocol table). Fields a
// server without the planned additions does not send yet are optional.

export interface ModelStatus {
  name: string | null;
  configured: boolean;
  /** editor | environment | user settings | project settings | agent (planned addition) */
  source?: string;
  hint?: string;
}

export interface Status {
  agent: { id: string; name: string };
  conversation: { id: string; title: string };
  model: ModelStatus;
  memory: { path: string; head: string; files: number };
  busy?: boolean;
}

/** The `memfs/status` notification; it carries `model` once the server sends it on settings changes. */
export interface StatusNotice {
  state: string;
  message: string;
  busy: number;
  model?: ModelStatus;
}

export type ItemKind = "user" | "agent" | "toolCall" | "memoryCommit" | "compaction" | "error";

export interface ToolCall {
  callId: string;
  name: string;
  arguments: Record<string, unknown>;
  /** undefined while the call runs */
  ok?: boolean;
  output?: string;
  error?: string;
}

export interface Commit {
  sha: string;
  paths: string[];
  message: string;
}

/** One transcript item, as `memfs/messages` returns it (live turns are folded into the same shape). */
export interface Item {
  id: string;
  kind: ItemKind;
  time: string;
  text?: string;
  /** "streaming" is the client's own state of a reply still arriving */
  status?: "complete" | "interrupted" | "error" | "streaming";
  toolCall?: ToolCall;
  commit?: Commit;
  source?: string;
  /** how to fix an error item (live errors carry it) */
  hint?: string;
}

export interface MessagesPage {
  conversationId: string;
  title: string;
  items: Item[];
  hasMore: boolean;
  before: string | null;
}

/** A `memfs/chatDelta` notification. */
export interface Delta {
  chatId: string;
  seq: number;
  kind: string;
  text?: string;
  callId?: string;
  name?: string;
  arguments?: Record<string, unknown>;
  ok?: boolean;
  output?: string;
  error?: string;
  commit?: string;
  paths?: string[];
  message?: string;
  code?: string;
  hint?: string;
  summarizedMessages?: number;
}

export interface ChatResult {
  conversationId: string;
  stopReason: string;
  text: string;
}

export interface Conversation {
  id: string;
  title: string;
  /** ISO 8601 (planned addition); `updated` (epoch seconds) until then */
  lastActivity?: string;
  updated?: number;
  messageCount?: number;
  isCurrent?: boolean;
}

export interface ConversationList {
  agentId: string;
  current: string;
  conversations: Conversation[];
}

export interface LogEntry {
  commit: string;
  author: string;
  date: string;
  message: string;
  paths: string[];
  /** who made it: chat, manual, reflection, ... (asked of the server for the tree) */
  source?: string;
}

export interface Finding {
  code: string;
  severity: string;
  path: string;
  startLine?: number;
  endLine?: number;
  message: string;
}

export interface DoctorReport {
  findings: Finding[];
  systemTokensBefore: number;
  systemTokensAfter: number;
  summary?: string;
}

export interface TreeFile {
  path: string;
  description: string | null;
  size: number;
  tokens: number;
  inContext: boolean;
  uri: string;
}

/** JSON-RPC's "method not found": a server without one of the planned additions. */
export const METHOD_NOT_FOUND = -32601;
