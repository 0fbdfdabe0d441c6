// Memory Doctor: the findings go to the Problems view on the memory files and to a list to jump
// from. A file opened in the editor gets the server's live diagnostics instead of this snapshot.
import * as vscode from "vscode";
import { Server } from "./client";
import { findingsSummary, Problem, problemsByPath } from "./core/findings";
import { DoctorReport, Finding } from "./core/protocol";

const SEVERITY = { error: vscode.DiagnosticSeverity.Error, warning: vscode.DiagnosticSeverity.Warning, info: vscode.DiagnosticSeverity.Information };

export class Doctor implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection("memfs doctor");
  private findings: Finding[] = [];
  private root = "";

  constructor(private readonly server: Server) {}

  async run(fix: boolean): Promise<void> {
    const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "memfs: checking memory" },
      () => this.server.command<DoctorReport>("memfs.doctor", { fix }));
    const status = await this.server.request<{ memory: { path: string } }>("memfs/status", {});
    this.show(status.memory.path, report.findings);
    const tokens = `system/ ${report.systemTokensBefore} → ${report.systemTokensAfter} tokens`;
    const message = `memfs doctor: ${findingsSummary(report.findings)} (${tokens})`;
    if (report.findings.length === 0) {
      void vscode.window.showInformationMessage(message);
      return;
    }
    const choice = await vscode.window.showWarningMessage(message, "Show Findings", "Open Problems");
    if (choice === "Show Findings") {
      await this.pick();
    } else if (choice === "Open Problems") {
      await vscode.commands.executeCommand("workbench.actions.view.problems");
    }
  }

  /** The last report's findings in a list; picking one opens its file at its line. */
  async pick(): Promise<void> {
    if (!this.root) {
      void vscode.window.showInformationMessage("memfs: run Memfs: Memory Doctor first");
      return;
    }
    const problems = [...problemsByPath(this.findings).values()].flat();
    const icon = { error: "$(error)", warning: "$(warning)", info: "$(info)" };
    const pick = await vscode.window.showQuickPick(problems.map((problem) => ({
      label: `${icon[problem.severity]} ${problem.message}`,
      description: `${problem.path}:${problem.startLine + 1}`,
      detail: problem.code,
      problem,
    })), { placeHolder: `Doctor: ${findingsSummary(this.findings)}`, matchOnDescription: true });
    if (pick) {
      const range = new vscode.Range(pick.problem.startLine, 0, pick.problem.startLine, 0);
      await vscode.window.showTextDocument(this.uri(pick.problem.path), { selection: range });
    }
  }

  /** A memory file is open: the server lints it live, so drop its snapshot. */
  forget(uri: vscode.Uri): void {
    this.diagnostics.delete(uri);
  }

  dispose(): void {
    this.diagnostics.dispose();
  }

  private show(root: string, findings: Finding[]): void {
    this.root = root;
    this.findings = findings;
    this.diagnostics.clear();
    for (const [path, problems] of problemsByPath(findings)) {
      this.diagnostics.set(this.uri(path), problems.map(diagnostic));
    }
  }

  private uri(path: string): vscode.Uri {
    return vscode.Uri.joinPath(vscode.Uri.file(this.root), ...path.split("/"));
  }
}

function diagnostic(problem: Problem): vscode.Diagnostic {
  const range = new vscode.Range(problem.startLine, 0, problem.endLine, Number.MAX_SAFE_INTEGER);
  const item = new vscode.Diagnostic(range, problem.message, SEVERITY[problem.severity]);
  item.source = "memfs doctor";
  item.code = problem.code;
  return item;
}
