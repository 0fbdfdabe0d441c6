// Starting the memfs language server and wiring its notifications.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, State } from "vscode-languageclient/node";
import { serverSettings } from "./logic";

export function settings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration("memfs");
  return serverSettings({
    model: config.get("model"), apiBase: config.get("apiBase"), agent: config.get("agent"),
    contextWindow: config.get("contextWindow"), tokenBudget: config.get("tokenBudget"),
    maxSteps: config.get("maxSteps"), sleeptime: config.get("sleeptime"),
  });
}

export async function startClient(output: vscode.OutputChannel): Promise<LanguageClient | undefined> {
  const command = vscode.workspace.getConfiguration("memfs").get<string[]>("server.command") ?? ["memfs-lsp"];
  const serverOptions: ServerOptions = { command: command[0], args: command.slice(1) };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "markdown" }],
    initializationOptions: { memfs: settings() },
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
  const client = new LanguageClient("memfs", "memfs", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    const fix = "Set \"memfs.server.command\" to the memfs-lsp executable (e.g. the .venv/bin/memfs-lsp of a memfs-lsp checkout).";
    void vscode.window.showErrorMessage(`memfs: could not start the language server (${command.join(" ")}): ${String(error)}. ${fix}`, "Open Settings")
      .then((choice) => choice && vscode.commands.executeCommand("workbench.action.openSettings", "memfs.server.command"));
    return undefined;
  }
  client.onDidChangeState((e) => {
    if (e.newState === State.Stopped) {
      output.appendLine("memfs: the language server stopped");
    }
  });
  return client;
}
