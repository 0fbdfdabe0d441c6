// A conversation's transcript as the chat view shows it: pages from `memfs/messages` plus the
// live turn, whose streamed deltas are folded into the same item shape. Pure (no `vscode`).
import { Delta, Item, MessagesPage } from "./protocol";

export class Transcript {
  items: Item[] = [];
  hasMore = false;
  before: string | null = null;
  title = "";

  constructor(public conversationId: string | undefined) {}

  /** The newest page replaces what is shown. */
  setPage(page: MessagesPage): void {
    this.items = [...page.items];
    this.hasMore = page.hasMore;
    this.before = page.before;
    this.title = page.title;
    this.conversationId = page.conversationId;
  }

  /** An older page goes before what is shown. */
  prependPage(page: MessagesPage): Item[] {
    const known = new Set(this.items.map((item) => item.id));
    const older = page.items.filter((item) => !known.has(item.id));
    this.items = [...older, ...this.items];
    this.hasMore = page.hasMore;
    this.before = page.before;
    return older;
  }
}

let counter = 0;

/** One turn as it streams: the user's item first, then replies, tool calls, commits, errors. */
export class LiveTurn {
  private seen = new Set<number>();
  private reply: Item | undefined;
  private ids = new Set<string>();
  readonly user: Item;

  /** ``chatId``: this turn's id, sent with its `memfs/chat` request and carried by its deltas. */
  constructor(private readonly transcript: Transcript, text: string, readonly chatId: string,
    private readonly now: () => string = () => new Date().toISOString()) {
    this.user = this.add({ kind: "user", text, status: "complete" });
  }

  owns(id: string): boolean {
    return this.ids.has(id);
  }

  /** Fold one delta (in any order of arrival; a repeated seq, or a delta of another turn such
   * as a late one of a turn the user stopped, is ignored); returns what changed. */
  apply(delta: Delta): Item[] {
    if (delta.chatId !== this.chatId || this.seen.has(delta.seq)) {
      return [];
    }
    this.seen.add(delta.seq);
    switch (delta.kind) {
      case "text": {
        if (!this.reply) {
          this.reply = this.add({ kind: "agent", text: "", status: "streaming" });
        }
        this.reply.text = (this.reply.text ?? "") + (delta.text ?? "");
        return [this.reply];
      }
      case "toolCallStarted":
        this.reply = undefined;
        return [this.add({ kind: "toolCall", toolCall: {
          callId: delta.callId ?? `call-${delta.seq}`, name: delta.name ?? "tool", arguments: delta.arguments ?? {} } })];
      case "toolCallFinished": {
        const item = this.transcript.items.find((i) => this.owns(i.id) && i.toolCall && i.toolCall.callId === delta.callId);
        if (!item?.toolCall) {
          return [];
        }
        item.toolCall = { ...item.toolCall, ok: delta.ok !== false, output: delta.output,
          error: delta.ok === false ? delta.error ?? delta.output : undefined };
        item.status = delta.ok === false ? "error" : "complete";
        return [item];
      }
      case "memoryCommit":
        this.reply = undefined;
        return [this.add({ kind: "memoryCommit", commit: { sha: delta.commit ?? "", paths: delta.paths ?? [], message: delta.message ?? "" } })];
      case "compaction":
        this.reply = undefined;
        return [this.add({ kind: "compaction", text: delta.summarizedMessages ? `${delta.summarizedMessages} earlier messages summarized` : "Earlier messages summarized" })];
      case "error":
        this.reply = undefined;
        return [this.add({ kind: "error", text: delta.message ?? "", hint: delta.hint || undefined, status: "error" })];
      default:
        return [];
    }
  }

  /** The turn ended: `end_turn`, `max_steps`, `cancelled` or `error`. */
  finish(stopReason: string): Item[] {
    const changed: Item[] = [];
    const interrupted = stopReason === "cancelled";
    for (const item of this.transcript.items) {
      if (!this.owns(item.id)) continue;
      if (item.kind === "agent" && item.status === "streaming") {
        item.status = interrupted ? "interrupted" : "complete";
        changed.push(item);
      } else if (item.kind === "toolCall" && item.toolCall?.ok === undefined && item.status !== "interrupted") {
        item.status = "interrupted";
        changed.push(item);
      }
    }
    if (interrupted && !this.transcript.items.some((i) => this.owns(i.id) && i.kind === "agent")) {
      changed.push(this.add({ kind: "agent", text: "", status: "interrupted" }));
    }
    this.reply = undefined;
    return changed;
  }

  /** The request itself failed (the server refused it, or the connection broke). */
  fail(message: string, hint?: string): Item[] {
    return [...this.finish("error"), this.add({ kind: "error", text: message, hint, status: "error" })];
  }

  private add(fields: Omit<Item, "id" | "time">): Item {
    const item: Item = { id: `live-${++counter}`, time: this.now(), ...fields };
    this.ids.add(item.id);
    this.transcript.items.push(item);
    return item;
  }
}
