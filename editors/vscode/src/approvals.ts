// Approval the user controls: a memory edit under `approval: ask` waits for the user. The server
// asks this window with `memfs/approve` (we declare `approvalUi`); the chat view shows the diff
// with Accept / Reject (and a reason the agent sees) / Always, and the answer goes back as the
// request's result. A question the server withdraws ($/cancelRequest: the turn was stopped or
// answered elsewhere) leaves the view. `memfs/approvalsChanged` keeps the list of pending edits
// (the badges and the Agent Memory tree's section); `memfs.resolveApproval` answers one of them.
import * as vscode from "vscode";
import { Server } from "./client";
import { operationVerb } from "./core/format";
import { Approval, ApprovalAnswer, ApprovalDecision } from "./core/protocol";

export interface ApprovalView {
  /** the questions this window is asked, oldest first */
  showApprovals(asked: Approval[]): void;
}

export class Approvals implements vscode.Disposable {
  /** every memory edit the server says is waiting (`memfs/approvalsChanged`) */
  pending: Approval[] = [];
  private readonly asked = new Map<string, { approval: Approval; answer: (answer: ApprovalAnswer) => void }>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  view: ApprovalView | undefined;

  constructor(private readonly server: Server) {}

  /** The server (re)started: what it has waiting (nothing this window was asked survives it). */
  async load(): Promise<void> {
    this.asked.clear();
    this.view?.showApprovals([]);
    const listed = await this.server.request<{ approvals: Approval[] }>("memfs/pendingApprovals", {});
    this.update(listed.approvals);
  }

  update(approvals: Approval[]): void {
    this.pending = approvals;
    this.changed.fire();
  }

  /** `memfs/approve`: show the question until the user answers or the server withdraws it. */
  ask(approval: Approval, token: vscode.CancellationToken): Promise<ApprovalAnswer> {
    return new Promise((resolve) => {
      const withdrawn = token.onCancellationRequested(() => {
        this.forget(approval.id);
        resolve({ decision: "reject", reason: "the question was withdrawn" }); // nobody reads it
      });
      this.asked.set(approval.id, {
        approval,
        answer: (answer) => {
          withdrawn.dispose();
          this.forget(approval.id);
          resolve(answer);
        },
      });
      this.view?.showApprovals(this.questions());
      void vscode.commands.executeCommand("memfs.chat.focus");
    });
  }

  /** The user decided (in the chat view or from the tree's list). */
  async answer(id: string, decision: ApprovalDecision, reason?: string): Promise<void> {
    const answer: ApprovalAnswer = reason?.trim() ? { decision, reason: reason.trim() } : { decision };
    const asked = this.asked.get(id);
    if (asked) {
      asked.answer(answer);
      return;
    }
    const done = await this.server.command<{ resolved: boolean }>("memfs.resolveApproval", { id, ...answer });
    if (!done.resolved) {
      void vscode.window.showInformationMessage("memfs: that memory edit no longer waits for an answer");
    }
  }

  /** Review a pending edit from the tree: the chat's card when this window was asked, else a pick. */
  async review(id: string): Promise<void> {
    if (this.asked.has(id)) {
      await vscode.commands.executeCommand("memfs.chat.focus");
      return;
    }
    const approval = this.pending.find((a) => a.id === id);
    if (!approval) {
      return;
    }
    const pick = await vscode.window.showQuickPick([
      { label: "$(check) Accept", decision: "accept" as const },
      { label: "$(close) Reject…", decision: "reject" as const },
      { label: `$(check-all) Always`, description: `accept ${approval.tier} memory edits in this workspace from now on`, decision: "always" as const },
    ], { placeHolder: `${operationVerb(approval.operation)} ${approval.path}: ${approval.reason}` });
    if (!pick) {
      return;
    }
    const reason = pick.decision === "reject"
      ? await vscode.window.showInputBox({ prompt: "Why not? (optional: the agent sees it)" }) : undefined;
    if (pick.decision === "reject" && reason === undefined) {
      return;
    }
    await this.answer(id, pick.decision, reason);
  }

  dispose(): void {
    this.changed.dispose();
  }

  private forget(id: string): void {
    this.asked.delete(id);
    this.view?.showApprovals(this.questions());
  }

  private questions(): Approval[] {
    return [...this.asked.values()].map((a) => a.approval);
  }
}
