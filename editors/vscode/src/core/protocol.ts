// The shapes the memfs server sends (camelCase on the wire; README's protocol table).

export interface ModelStatus {
  name: string | null;
  configured: boolean;
  /** editor | environment | user settings | project settings | agent */
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

/** The `memfs/status` notification: `model` once the server has read the settings (again as
 *  soon as the editor's settings change). */
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
  /** ISO 8601 */
  lastActivity?: string;
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
}

/** `memfs/commit {sha}`: one memory commit with its unified diff. */
export interface CommitDetails {
  sha: string;
  message: string;
  author: string;
  date: string;
  /** who made it: manual, agent, reflection, init, doctor, remember, revert, ... */
  source: string;
  paths: string[];
  diff: string;
  truncated: boolean;
}

/** A file's last change (`lastChange` in `memfs/tree`): for the agent's memory its newest
 *  commit (`source` manual, agent, reflection, ...); for project memory the workspace's git
 *  (`source` git: `author` is who committed it), an uncommitted change or the file's mtime. */
export interface LastChange {
  sha: string | null;
  date: string;
  author: string | null;
  source: string;
  message: string | null;
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
  /** project-tier files are under `project/` */
  path: string;
  description: string | null;
  size: number;
  tokens: number;
  inContext: boolean;
  uri: string;
  lastChange: LastChange | null;
  tier: "personal" | "project";
  /** `paths:` globs of a scoped file (loaded only while a matching file is worked on) */
  globs: string[];
  expires: string | null;
  expired: boolean;
}

export interface Tree {
  root: string;
  head: string;
  systemTokens: number;
  files: TreeFile[];
  /** the workspace's project memory, when it has one */
  project: { root: string; systemTokens: number } | null;
}

/** A memory edit waiting for the user (`memfs/approve`, `memfs/pendingApprovals`). */
export interface Approval {
  id: string;
  tier: string;
  path: string;
  operation: string;
  reason: string;
  /** unified diff of the edit */
  diff: string;
  agentId: string;
  conversationId: string | null;
}

export type ApprovalDecision = "accept" | "reject" | "always";

export interface ApprovalAnswer {
  decision: ApprovalDecision;
  reason?: string;
}
