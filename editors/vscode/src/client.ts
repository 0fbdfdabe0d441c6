// The memfs language server process: started with the API keys from VS Code's secret storage in
// its environment (never in settings or on the wire), restarted when they or the command change.
import * as vscode from "vscode";
import { CancellationToken, Executable, LanguageClient, LanguageClientOptions, State } from "vscode-languageclient/node";
import { serverSettings } from "./core/settings";
import { ProviderKeys } from "./secrets";

export function settings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration("memfs");
  return serverSettings({
    model: config.get("model"), apiBase: config.get("apiBase"), agent: config.get("agent"),
    contextWindow: config.get("contextWindow"), tokenBudget: config.get("tokenBudget"),
    maxSteps: config.get("maxSteps"), sleeptime: config.get("sleeptime"),
  });
}

function serverCommand(): string[] {
  const command = vscode.workspace.getConfiguration("memfs").get<string[]>("server.command");
  return command && command.length ? command : ["memfs-lsp"];
}

export class Server {
  readonly client: LanguageClient;
  /** read by the client on every (re)start, so a restart picks up new keys and a new command */
  private readonly executable: Executable;
  /** a language client whose first start failed cannot start again: the window must reload */
  startFailed = false;

  constructor(output: vscode.OutputChannel, private readonly keys: ProviderKeys) {
    const [command, ...args] = serverCommand();
    this.executable = { command, args, options: { env: process.env } };
    const clientOptions: LanguageClientOptions = {
      // every file: memory files get diagnostics, completion and hover; source files the
      // CodeLens of the scoped memories that apply to them (and the server knows what is open)
      documentSelector: [{ scheme: "file" }],
      // approvalUi: this client shows `memfs/approve` questions itself (the chat view)
      initializationOptions: { memfs: { ...settings(), approvalUi: true } },
      outputChannel: output,
      synchronize: { configurationSection: "memfs" },
      middleware: {
        workspace: {
          // Answer workspace/configuration for "memfs" with only the settings the user set.
          configuration: async (params, token, next) => {
            const defaults = (await next(params, token)) as unknown[];
            return params.items.map((item, i) => (item.section === "memfs" ? settings() : defaults[i]));
          },
        },
      },
    };
    this.client = new LanguageClient("memfs", "memfs", this.executable, clientOptions);
  }

  /** Start (or restart) the server process with the current command and keys. */
  async start(): Promise<void> {
    const [command, ...args] = serverCommand();
    this.executable.command = command;
    this.executable.args = args;
    this.executable.options = { env: { ...process.env, ...(await this.keys.environment()) } };
    try {
      if (this.client.state === State.Running) {
        await this.client.restart();
      } else {
        await this.client.start();
      }
    } catch (error) {
      this.startFailed = true;
      throw error;
    }
  }

  get running(): boolean {
    return this.client.state === State.Running;
  }

  request<T>(method: string, params: object, token?: CancellationToken): Promise<T> {
    return token ? this.client.sendRequest<T>(method, params, token) : this.client.sendRequest<T>(method, params);
  }

  /** One of the server's `memfs.*` commands (one object argument). */
  command<T>(name: string, argument: object = {}): Promise<T> {
    return this.client.sendRequest<T>("workspace/executeCommand", { command: name, arguments: [argument] });
  }

  describeFailure(error: unknown): string {
    const fix = "Set \"memfs.server.command\" to the memfs-lsp executable (e.g. the .venv/bin/memfs-lsp of a memfs-lsp checkout).";
    return `memfs: could not start the language server (${serverCommand().join(" ")}): ${errorMessage(error)}. ${fix}`;
  }
}

/** Our words first, then the detail: a server refusal's message and hint, or the error's text. */
export function errorMessage(error: unknown): string {
  const data = (error as { data?: { message?: string; hint?: string } })?.data;
  if (data?.message) {
    return data.hint ? `${data.message} (${data.hint})` : data.message;
  }
  return error instanceof Error ? error.message : String(error);
}
