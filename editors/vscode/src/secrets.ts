// API keys in VS Code's secret storage, each under the environment variable litellm reads it
// from (OPENAI_API_KEY, ...). They reach the server only through its process environment.
import * as vscode from "vscode";

const NAMES = "memfs.keyVariables"; // which variables have a stored key (names are not secret)
const secretId = (variable: string) => `memfs.env.${variable}`;

export class ProviderKeys {
  constructor(private readonly context: vscode.ExtensionContext) {}

  variables(): string[] {
    return this.context.globalState.get<string[]>(NAMES, []);
  }

  async store(variable: string, key: string): Promise<void> {
    await this.context.secrets.store(secretId(variable), key);
    await this.context.globalState.update(NAMES, [...new Set([...this.variables(), variable])].sort());
  }

  async has(variable: string): Promise<boolean> {
    return (await this.context.secrets.get(secretId(variable))) !== undefined;
  }

  /** The stored keys as environment variables for the server process. */
  async environment(): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const variable of this.variables()) {
      const key = await this.context.secrets.get(secretId(variable));
      if (key) {
        env[variable] = key;
      }
    }
    return env;
  }

  /** Remove every stored key; returns the variables that had one. */
  async forget(): Promise<string[]> {
    const variables = this.variables();
    for (const variable of variables) {
      await this.context.secrets.delete(secretId(variable));
    }
    await this.context.globalState.update(NAMES, []);
    return variables;
  }
}
