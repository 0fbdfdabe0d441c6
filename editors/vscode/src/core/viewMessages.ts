// Messages between the chat view's host (extension) and its webview. Pure types.
import { Approval, ApprovalDecision, Commit, Item, ModelStatus } from "./protocol";

export interface ViewState {
  items: Item[];
  hasMore: boolean;
  busy: boolean;
  /** undefined until the server answered `memfs/status` */
  model?: ModelStatus;
  agent?: string;
  /** the server could not be reached: what to show instead of a transcript */
  offline?: string;
  /** memory edits waiting for the user's answer here */
  approvals: Approval[];
}

export type HostMessage =
  | ({ type: "reset" } & ViewState)
  | { type: "upsert"; items: Item[] }
  | { type: "prepend"; items: Item[]; hasMore: boolean }
  | { type: "busy"; busy: boolean }
  | { type: "model"; model: ModelStatus; agent?: string }
  | { type: "approvals"; approvals: Approval[] };

export type ViewMessage =
  | { type: "ready" }
  | { type: "send"; text: string }
  | { type: "stop" }
  | { type: "loadOlder" }
  | { type: "openCommit"; commit: Commit }
  | { type: "copy"; text: string }
  | { type: "insert"; text: string; language: string }
  | { type: "configureModel" }
  | { type: "approve"; id: string; decision: ApprovalDecision; reason?: string };
