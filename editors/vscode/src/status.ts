// The status bar item: agent, model and busy / reflecting state (memfs/status).
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { statusText } from "./logic";

export class StatusItem {
  private item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  private agent = "memfs";
  private model: string | null = null;
  private state = "idle";
  reflecting = false;

  constructor(private readonly client: LanguageClient) {
    this.item.command = "memfs.ui.chat";
    this.item.show();
  }

  async load(): Promise<void> {
    const status = await this.client.sendRequest<any>("memfs/status", {});
    this.agent = status.agent.name;
    this.model = status.model.configured ? status.model.name : null;
    this.render();
  }

  update(state: string, message: string): void {
    this.state = state;
    this.item.tooltip = message || undefined;
    this.render();
  }

  render(): void {
    this.item.text = statusText({ state: this.state, agent: this.agent, model: this.model }, this.reflecting);
  }

  dispose(): void {
    this.item.dispose();
  }
}
