// The status bar item: agent, model (and where it came from) and busy / reflecting / error state.
import * as vscode from "vscode";
import { Server } from "./client";
import { modelDescription, statusText } from "./core/format";
import { ModelStatus, Status, StatusNotice } from "./core/protocol";

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("memfs.status", vscode.StatusBarAlignment.Right, 100);
  private agent = "memfs";
  private model: ModelStatus | undefined;
  private state = "idle";
  private message = "";
  reflecting = false;

  constructor(private readonly server: Server) {
    this.item.name = "memfs";
    this.render();
    this.item.show();
  }

  /** Ask the server for the agent and model; returns the whole status. */
  async load(): Promise<Status> {
    const status = await this.server.request<Status>("memfs/status", {});
    this.agent = status.agent.name;
    this.model = status.model;
    this.render();
    return status;
  }

  notice(notice: StatusNotice): void {
    this.state = notice.state;
    this.message = notice.message;
    this.model = notice.model ?? this.model;
    this.render();
  }

  stopped(reason: string): void {
    this.state = "error";
    this.message = reason;
    this.render();
  }

  render(): void {
    this.item.text = statusText(this.state, this.agent, this.model, this.reflecting);
    const lines = [`memfs: ${this.agent}`];
    if (this.model) lines.push(`Model: ${modelDescription(this.model)}`);
    if (this.message) lines.push(this.message);
    this.item.tooltip = lines.join("\n");
    const noModel = this.model !== undefined && !this.model.configured;
    this.item.command = noModel ? "memfs.ui.configureModel" : "memfs.ui.chat";
    this.item.backgroundColor = this.state === "error" ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
