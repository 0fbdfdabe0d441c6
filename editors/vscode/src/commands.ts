// Command palette entries: friendly wrappers (input boxes, quick picks) over server commands.
// The server's own memfs.* commands are registered by the language client itself; these use
// distinct ids (memfs.ui.*).
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { ChatPanel } from "./chatPanel";
import { MemoryTree } from "./tree";

type Run = (name: string, argument?: Record<string, unknown>) => Promise<any>;
interface Item extends vscode.QuickPickItem { id: string }

export function registerCommands(context: vscode.ExtensionContext, client: LanguageClient,
  chat: ChatPanel, tree: MemoryTree): void {
  const run: Run = (name, argument = {}) =>
    client.sendRequest("workspace/executeCommand", { command: name, arguments: [argument] });
  const register = (id: string, handler: (...args: any[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: any[]) => {
      try {
        return await handler(...args);
      } catch (error: any) {
        void vscode.window.showErrorMessage(`memfs: ${error?.message ?? String(error)}`);
        return undefined;
      }
    }));

  register("memfs.ui.chat", () => chat.open());
  register("memfs.ui.refreshTree", () => tree.refresh());
  register("memfs.ui.init", async () => {
    const depth = await vscode.window.showQuickPick(["quick", "standard", "deep"], { placeHolder: "How deep should the agent research this project?" });
    if (!depth) return;
    const history = await vscode.window.showQuickPick(["Yes", "No"], { placeHolder: "Read your past Claude Code and Codex sessions (secrets are redacted)?" });
    if (!history) return;
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "memfs: initializing memory" },
      () => run("memfs.init", { depth, history: history === "Yes" }));
    void vscode.window.showInformationMessage(`memfs: init wrote ${result.files.length} file(s). ${String(result.message ?? "").split("\n")[0]}`);
  });
  register("memfs.ui.remember", async () => {
    const text = await vscode.window.showInputBox({ prompt: "What should the agent remember? (empty: infer from the conversation)" });
    if (text === undefined) return;
    const result = await run("memfs.remember", text ? { text } : {});
    void vscode.window.showInformationMessage(result.files.length
      ? `memfs: remembered in ${result.files.join(", ")}` : "memfs: nothing was remembered");
  });
  register("memfs.ui.doctor", async () => {
    const fix = await vscode.window.showQuickPick(["Report only", "Report and fix (uses the model)"], { placeHolder: "Memory doctor" });
    if (!fix) return;
    const report = await run("memfs.doctor", { fix: fix.startsWith("Report and") });
    void vscode.window.showInformationMessage(`memfs doctor: ${report.findings.length} finding(s); system/ ${report.systemTokensBefore} -> ${report.systemTokensAfter} tokens`);
  });
  register("memfs.ui.sleeptime", async () => {
    const current = await run("memfs.sleeptime", {});
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
    const saved = await run("memfs.sleeptime", { trigger: trigger.label, stepCount, merge });
    void vscode.window.showInformationMessage(`memfs: reflection ${saved.trigger}, every ${saved.stepCount} messages, merge ${saved.merge}`);
  });
  register("memfs.ui.reflect", async () => {
    await run("memfs.reflect", {});
    void vscode.window.setStatusBarMessage("memfs: reflecting in the background", 4000);
  });
  register("memfs.ui.newConversation", async () => {
    const conversation = await run("memfs.newConversation", {});
    chat.switchTo(conversation.id);
    void vscode.window.showInformationMessage(`memfs: new conversation ${conversation.id}`);
  });
  register("memfs.ui.switchConversation", async () => {
    const listed = await run("memfs.listConversations", {});
    const pick = await vscode.window.showQuickPick<Item>(listed.conversations.map((c: any) => ({
      label: c.title, description: c.id === listed.current ? "current" : c.id, id: c.id })), { placeHolder: "Switch conversation" });
    if (!pick) return;
    await run("memfs.switchConversation", { conversationId: pick.id });
    chat.switchTo(pick.id);
  });
  register("memfs.ui.switchAgent", async () => {
    const listed = await run("memfs.listAgents", {});
    const pick = await vscode.window.showQuickPick<Item>(listed.agents.map((a: any) => ({
      label: a.name, description: a.id === listed.current ? "current" : a.id, id: a.id })), { placeHolder: "Switch agent" });
    if (!pick) return;
    await run("memfs.switchAgent", { agentId: pick.id });
    tree.refresh();
  });
  register("memfs.ui.openMemoryFolder", async () => {
    const status = await client.sendRequest<any>("memfs/status", {});
    await vscode.commands.executeCommand("vscode.openFolder", vscode.Uri.file(status.memory.path), { forceNewWindow: true });
  });
  register("memfs.ui.memoryLog", async () => {
    const log = await run("memfs.memoryLog", { limit: 100 });
    const pick = await vscode.window.showQuickPick<Item>(log.commits.map((c: any) => ({
      label: c.message.split("\n")[0], description: `${c.commit.slice(0, 10)} · ${c.date.slice(0, 16)}`, detail: c.paths.join(", "), id: c.commit })),
    { placeHolder: "Memory log: pick a commit to revert it" });
    if (!pick) return;
    const sure = await vscode.window.showWarningMessage(`Revert "${pick.label}"? (a new commit undoes it)`, "Revert");
    if (sure !== "Revert") return;
    const result = await run("memfs.revert", { commit: pick.id });
    void vscode.window.showInformationMessage(`memfs: reverted (${String(result.commit).slice(0, 10)})`);
  });
}
