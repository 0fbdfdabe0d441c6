// "Configure Model": provider, model name, base URL, API key. The model and base URL go to the
// user's `memfs.model` / `memfs.apiBase` settings; the key goes to VS Code's secret storage and
// reaches the server only through its environment, so the server restarts when a key changes.
import * as vscode from "vscode";
import { currentName, modelString, Provider, PROVIDERS, validBaseUrl, validVariable } from "./core/providers";
import { ProviderKeys } from "./secrets";

/** Returns true when a key changed (the server must restart to see it). */
export async function configureModel(keys: ProviderKeys): Promise<boolean> {
  const config = vscode.workspace.getConfiguration("memfs");
  const model = config.get<string>("model") || undefined;
  const apiBase = config.get<string>("apiBase") || undefined;
  const title = "memfs: Configure Model";

  const choice = await vscode.window.showQuickPick(PROVIDERS.map((provider) => ({ label: provider.label, detail: provider.detail, provider })),
    { title, placeHolder: "Which provider runs the model?", ignoreFocusOut: true });
  if (!choice) return false;
  const provider: Provider = choice.provider;

  const name = await vscode.window.showInputBox({ title, ignoreFocusOut: true,
    prompt: provider.id === "other" ? "litellm model string" : `${provider.label} model name`,
    placeHolder: provider.example, value: currentName(provider, model, apiBase),
    validateInput: (value) => (value.trim() ? undefined : "a model name is needed") });
  if (!name) return false;

  let base = "";
  if (provider.baseUrl !== "none") {
    const entered = await vscode.window.showInputBox({ title, ignoreFocusOut: true,
      prompt: provider.baseUrl === "required" ? "Base URL of the server" : "Base URL (leave empty for the provider's own)",
      placeHolder: "http://127.0.0.1:8080/v1", value: apiBase ?? "",
      validateInput: (value) => (!value.trim() && provider.baseUrl === "optional") || validBaseUrl(value.trim()) ? undefined : "an http(s) URL, e.g. http://127.0.0.1:8080/v1" });
    if (entered === undefined) return false;
    base = entered.trim();
  }

  let variable = provider.keyVariable;
  if (!variable) {
    const entered = await vscode.window.showInputBox({ title, ignoreFocusOut: true,
      prompt: "Environment variable litellm reads the key from (empty: no key)", placeHolder: "GEMINI_API_KEY",
      validateInput: (value) => (!value || validVariable(value) ? undefined : "upper case letters, digits and _") });
    if (entered === undefined) return false;
    variable = entered || undefined;
  }

  let keyChanged = false;
  if (variable) {
    const stored = await keys.has(variable);
    const key = await vscode.window.showInputBox({ title, ignoreFocusOut: true, password: true,
      prompt: `API key (${variable}), kept in VS Code's secret storage${stored ? "; empty keeps the stored one" : provider.keyOptional ? "; empty: none" : ""}`,
      validateInput: (value) => (value || stored || provider.keyOptional ? undefined : "the provider needs a key") });
    if (key === undefined) return false;
    if (key) {
      await keys.store(variable, key.trim());
      keyChanged = true;
    }
  }

  // where the value is now set (a workspace value would hide a user one), else the user settings
  const target = (key: string) => config.inspect(key)?.workspaceValue !== undefined
    ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update("model", modelString(provider, name), target("model"));
  await config.update("apiBase", base, target("apiBase"));
  void vscode.window.setStatusBarMessage(`memfs: model ${modelString(provider, name)}`, 5000);
  return keyChanged;
}
