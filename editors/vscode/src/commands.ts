// Command palette entries: input boxes and pickers over the server's own commands. The server's
// memfs.* commands are registered by the language client itself; ours are memfs.ui.*.
import * as vscode from "vscode";
import { Approvals } from "./approvals";
import { errorMessage, Server } from "./client";
import { newConversation, pickConversation, renameConversation } from "./chat/conversations";
import { ChatView } from "./chat/view";
import { Doctor } from "./doctor";
import { revertShownCommit, showMemoryLog } from "./history";
import { MemoryTree } from "./tree";

export interface Parts {
  server: Server;
  chat: ChatView;
  tree: MemoryTree;
  doctor: Doctor;
  approvals: Approvals;
  configureModel(): Promise<void>;
  forgetKeys(): Promise<void>;
  /** the agent or conversation changed outside the chat view */
  refresh(): Promise<void>;
}

interface Pick extends vscode.QuickPickItem { id: string }

export function registerCommands(context: vscode.ExtensionContext, parts: Parts): void {
  const { server, chat, tree, doctor } = parts;
  const register = (id: string, handler: (...args: any[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: any[]) => {
      try {
        return await handler(...args);
      } catch (error) {
        void vscode.window.showErrorMessage(`memfs: ${errorMessage(error)}`);
        return undefined;
      }
    }));

  register("memfs.ui.chat", () => vscode.commands.executeCommand(`${ChatView.id}.focus`));
  register("memfs.ui.newConversation", () => newConversation(server, chat));
  register("memfs.ui.switchConversation", () => pickConversation(server, chat));
  register("memfs.ui.renameConversation", () => renameConversation(server, chat));
  register("memfs.ui.configureModel", () => parts.configureModel());
  register("memfs.ui.forgetKeys", () => parts.forgetKeys());
  register("memfs.ui.refreshTree", () => tree.refresh());
  register("memfs.ui.reviewApproval", (id: string) => parts.approvals.review(id));
  register("memfs.ui.memoryLog", () => showMemoryLog(server));
  register("memfs.ui.revertCommit", (uri?: vscode.Uri) => revertShownCommit(server, uri));
  register("memfs.ui.doctor", async () => {
    const fix = await vscode.window.showQuickPick(["Report only", "Report and fix (uses the model)"], { placeHolder: "Memory doctor" });
    if (fix) await doctor.run(fix.startsWith("Report and"));
  });
  register("memfs.ui.showFindings", () => doctor.pick());
  register("memfs.ui.init", async () => {
    const depth = await vscode.window.showQuickPick(["quick", "standard", "deep"], { placeHolder: "How deep should the agent research this project?" });
    if (!depth) return;
    const history = await vscode.window.showQuickPick(["Yes", "No"], { placeHolder: "Read your past Claude Code and Codex sessions (secrets are redacted)?" });
    if (!history) return;
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "memfs: initializing memory" },
      () => server.command<{ files: string[]; message?: string }>("memfs.init", { depth, history: history === "Yes" }));
    void vscode.window.showInformationMessage(`memfs: init wrote ${result.files.length} file(s). ${String(result.message ?? "").split("\n")[0]}`);
  });
  register("memfs.ui.initProjectMemory", async () => {
    const made = await server.command<{ root: string; created: boolean; files: string[]; ignored: boolean }>("memfs.initProjectMemory", {});
    const where = vscode.workspace.asRelativePath(made.root);
    const said = made.created ? `memfs: project memory created in ${where}: commit it to share it with your team`
      : `memfs: this project already has its memory in ${where}`;
    void vscode.window.showInformationMessage(made.ignored ? `${said} (git ignores it: the team will not see it)` : said);
    tree.refresh();
  });
  register("memfs.ui.remember", async () => {
    const text = await vscode.window.showInputBox({ prompt: "What should the agent remember? (empty: infer from the conversation)" });
    if (text === undefined) return;
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "memfs: remembering" },
      () => server.command<{ files: string[] }>("memfs.remember", text ? { text } : {}));
    void vscode.window.showInformationMessage(result.files.length
      ? `memfs: remembered in ${result.files.join(", ")}` : "memfs: nothing was remembered");
  });
  register("memfs.ui.sleeptime", async () => {
    const current = await server.command<{ trigger: string; stepCount: number; merge: string }>("memfs.sleeptime", {});
    const trigger = await vscode.window.showQuickPick(
      [{ label: "compaction", description: "when the context is compacted (recommended)" },
        { label: "step_count", description: "every N user messages" }, { label: "off" }],
      { placeHolder: `Reflection trigger (now: ${current.trigger})` });
    if (!trigger) return;
    let stepCount: number | undefined;
    if (trigger.label === "step_count") {
      const value = await vscode.window.showInputBox({ prompt: "Reflect every N user messages", value: String(current.stepCount),
        validateInput: (v) => (/^[1-9][0-9]*$/.test(v) ? undefined : "a positive whole number") });
      if (!value) return;
      stepCount = Number(value);
    }
    const merge = await vscode.window.showQuickPick(["auto", "review"], { placeHolder: `Merge reflections (now: ${current.merge})` });
    if (!merge) return;
    const saved = await server.command<{ trigger: string; stepCount: number; merge: string }>("memfs.sleeptime", { trigger: trigger.label, stepCount, merge });
    void vscode.window.showInformationMessage(`memfs: reflection ${saved.trigger}, every ${saved.stepCount} messages, merge ${saved.merge}`);
  });
  register("memfs.ui.reflect", async () => {
    await server.command("memfs.reflect", {});
    void vscode.window.setStatusBarMessage("memfs: reflecting in the background", 4000);
  });
  register("memfs.ui.switchAgent", async () => {
    const listed = await server.command<{ current: string; agents: { id: string; name: string }[] }>("memfs.listAgents", {});
    const pick = await vscode.window.showQuickPick<Pick>(listed.agents.map((a) => ({
      label: `${a.id === listed.current ? "$(check) " : ""}${a.name}`, description: a.id, id: a.id })), { placeHolder: "Switch agent" });
    if (!pick) return;
    await server.command("memfs.switchAgent", { agentId: pick.id });
    await parts.refresh();
  });
  register("memfs.ui.openMemoryFolder", async () => {
    const status = await server.request<{ memory: { path: string } }>("memfs/status", {});
    await vscode.commands.executeCommand("vscode.openFolder", vscode.Uri.file(status.memory.path), { forceNewWindow: true });
  });
}
