// End-to-end: the packaged extension in a real VS Code (code-server) driven by headless Chromium,
// against this checkout's memfs-lsp and the scripted model (tests/editors/test_vscode_e2e.py
// starts the model, runs this script and checks memory, settings and the model's requests).
//
// Every wait is on something a user would see (the status item naming the agent, a row in the
// palette, a toast, an element in the chat view), never on a fixed delay; STEP_TIMEOUT only
// turns a hang into a failure that names its step.

import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  if (!process.env[name]) throw new Error(`missing ${name}`);
  return process.env[name];
};
const codeServer = env("CODE_SERVER"), vsix = env("VSIX"), workspace = env("WORKSPACE"), modelUrl = env("MODEL_URL");
const tmp = env("E2E_TMP"), port = env("PORT"), serverCommand = JSON.parse(env("SERVER_COMMAND"));
const shots = env("SCREENSHOTS"), apiKey = env("API_KEY"), prompts = JSON.parse(env("PROMPTS")), rejection = env("REJECTION");
const STEP_TIMEOUT = 180_000;
const userData = join(tmp, "user-data"), extensions = join(tmp, "extensions");
mkdirSync(join(userData, "User"), { recursive: true });
mkdirSync(shots, { recursive: true });
// Nothing may take focus from the palette or the chat: no welcome page, walkthrough, tips,
// recommendations, update or survey notices, AI features, trust prompt or git parent prompt.
writeFileSync(join(userData, "User", "settings.json"), JSON.stringify({
  "workbench.colorTheme": "Default Dark Modern",
  "workbench.startupEditor": "none",
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "extensions.ignoreRecommendations": true,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "telemetry.telemetryLevel": "off",
  "chat.disableAIFeatures": true,
  "security.workspace.trust.enabled": false,
  "git.openRepositoryInParentFolders": "never",
  "git.enabled": false,
  "memfs.server.command": serverCommand,
}, null, 2));
const childEnv = { ...process.env, XDG_DATA_HOME: join(tmp, "xdg-data"), XDG_CONFIG_HOME: join(tmp, "xdg-config"), XDG_CACHE_HOME: join(tmp, "xdg-cache") };
execFileSync(codeServer, ["--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", vsix, "--force"], { env: childEnv, stdio: "inherit" });
const server = spawn(codeServer, ["--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check",
  "--disable-workspace-trust", "--disable-getting-started-override", "--user-data-dir", userData, "--extensions-dir", extensions, workspace],
{ env: childEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
let serverLog = "";
/** code-server says when it listens; resolves then, rejects if it exits first. */
const listening = new Promise((resolve, reject) => {
  const read = (data) => {
    serverLog = (serverLog + data).slice(-6000);
    if (serverLog.includes("HTTP server listening")) resolve();
  };
  server.stdout.on("data", read);
  server.stderr.on("data", read);
  server.once("exit", (code) => reject(new Error(`code-server exited (${code}): ${serverLog}`)));
});

const started = Date.now();
let current = "start";
async function step(name, body) {
  current = name;
  const t0 = Date.now();
  await body();
  console.log(`step ok: ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s, at ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

// ----- the workbench ---------------------------------------------------------------------------

/** Ready when the status item names the agent: the extension activated, its server answered. */
async function ready(page, model) {
  await page.locator(".monaco-workbench").waitFor();
  await page.locator(".statusbar-item", { hasText: `Memory Agent · ${model}` }).waitFor();
}

/** Run a command from the palette, opened with the mouse (no keyboard focus involved). If the
 *  palette closes before our row shows (focus moved to an editor that finished opening), open
 *  it again: that is what a user would do. */
async function palette(page, title) {
  const widget = page.locator(".quick-input-widget");
  for (;;) {
    await page.keyboard.press("Escape");
    await page.locator(".command-center-center").click();
    const input = widget.locator(".quick-input-box input");
    await input.waitFor();
    await input.fill(`>${title}`);
    const shown = await Promise.race([row(page, title).waitFor().then(() => true), widget.waitFor({ state: "hidden" }).then(() => false)]);
    if (shown) {
      await row(page, title).click();
      return;
    }
  }
}

/** The quick-input row labelled exactly `label` (not one that merely contains it). */
function row(page, label) {
  const exact = new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`);
  return page.locator(".quick-input-list .monaco-list-row").filter({ has: page.locator(".label-name", { hasText: exact }) }).first();
}

/** Answer a quick pick by choosing the row with this label. */
async function choose(page, label) {
  const widget = page.locator(".quick-input-widget");
  await widget.waitFor();
  await widget.locator(".quick-input-box input").fill(label);
  await row(page, label).click();
}

/** Answer an input box once it shows this prompt (the widget is reused between steps). */
async function answer(page, prompt, value) {
  const widget = page.locator(".quick-input-widget", { hasText: prompt });
  await widget.waitFor();
  await widget.locator(".quick-input-box input").fill(value);
  await page.keyboard.press("Enter");
}

async function toast(page, text) {
  return page.locator(".notifications-toasts .notification-toast", { hasText: text }).first();
}

/** The chat view's page (a webview frame inside the workbench), once Open Chat has given it the
 *  focus: typing before that focus change lands could lose keys to it. */
async function chatView(page) {
  await palette(page, "Memfs: Open Chat");
  for (;;) { // until the webview's page has loaded and has the focus (polled as Playwright does)
    for (const frame of page.frames()) {
      const ready = await frame.evaluate(() => !!document.getElementById("prompt") && document.hasFocus()).catch(() => false);
      if (ready) return frame;
    }
    await page.waitForTimeout(200);
  }
}

async function say(chat, text) {
  const prompt = chat.locator("#prompt");
  await prompt.fill(text);
  await prompt.press("Enter");
  await chat.locator(".item.user", { hasText: text.split("\n")[0] }).last().waitFor();
}

async function idle(chat) {
  await chat.locator("#busy").waitFor({ state: "hidden" });
  await chat.locator("#send").waitFor({ state: "visible" });
}

/** In the conversation picker (two conversations), the one not marked as shown. */
async function switchToOther(page) {
  const rows = page.locator(".quick-input-list .monaco-list-row");
  await rows.nth(1).waitFor();
  await rows.filter({ hasNot: page.locator(".codicon-check") }).first().click();
}

/** The Agent Memory view in the memfs side bar. */
function memoryTree(page) {
  const header = page.locator(".pane-header", { hasText: "Agent Memory" });
  const pane = page.locator(".pane", { has: header });
  return { header, row: (name) => pane.locator(".monaco-list-row", { has: page.locator(".label-name", { hasText: name }) }) };
}

/** Scroll the transcript so this user message is at the top (for the screenshots). */
const scrollTo = (chat, text) => chat.locator(".item.user", { hasText: text }).first().evaluate((node) => node.scrollIntoView({ block: "start" }));

const shot = (page, name) => page.screenshot({ path: join(shots, `${name}.png`) });

// ----- the test ----------------------------------------------------------------------------------

let browser, page;
try {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(STEP_TIMEOUT);

  await step("workbench renders and the extension starts its server (no model yet)", async () => {
    await listening;
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await ready(page, "no model");
  });

  let chat;
  await step("no-model state offers Configure Model", async () => {
    chat = await chatView(page);
    // a wider side bar than the default, for readable screenshots (drag its sash)
    const bar = await page.locator(".part.sidebar").boundingBox();
    await page.mouse.move(bar.x + bar.width + 1, bar.y + bar.height / 2);
    await page.mouse.down();
    await page.mouse.move(bar.x + bar.width + 161, bar.y + bar.height / 2, { steps: 4 });
    await page.mouse.up();
    await chat.locator(".empty-state", { hasText: "No model configured" }).waitFor();
    await chat.locator("#configure-model").waitFor();
    await shot(page, "no-model-dark");
  });

  await step("Configure Model: provider, model, base URL, key; the server restarts with it", async () => {
    await chat.locator("#configure-model").click();
    await choose(page, "OpenAI-compatible / local server");
    await answer(page, "model name", "scripted");
    await answer(page, "Base URL", modelUrl);
    await answer(page, "API key", apiKey);
    await ready(page, "openai/scripted");
    await chat.locator(".empty-state", { hasText: "Ask Memory Agent" }).waitFor();
    // the status item says where the model came from
    await page.locator(".statusbar-item", { hasText: "Memory Agent" }).hover();
    await page.locator(".monaco-hover, .workbench-hover", { hasText: "openai/scripted (from editor)" }).waitFor();
    // a change in the Settings UI reaches the status item at once (no restart)
    await palette(page, "Preferences: Open User Settings");
    const editor = page.locator(".settings-editor");
    await editor.locator(".settings-header .monaco-editor").click();
    await page.keyboard.type("memfs.model");
    const model = editor.locator(".setting-item-contents", { hasText: "as a litellm model string" }).locator("input");
    await model.fill("openai/scripted-2");
    await ready(page, "openai/scripted-2");
    await model.fill("openai/scripted");
    await ready(page, "openai/scripted");
    await palette(page, "View: Close All Editors");
  });

  await step("Remember… from the palette commits to memory", async () => {
    await palette(page, "Memfs: Remember…");
    await answer(page, "What should the agent remember", "we squash merges");
    await (await toast(page, "remembered in notes/merges.md")).waitFor();
  });

  await step("the Agent Memory tree marks in-context files and shows each file's last change", async () => {
    await memoryTree(page).header.click();
    await memoryTree(page).row("persona.md").locator(".label-description", { hasText: "in context" }).waitFor();
    await memoryTree(page).row("merges.md").locator(".label-description", { hasText: /just now|min ago/ }).waitFor();
  });

  await step("a reply renders markdown and a code block, and raw HTML stays text", async () => {
    await palette(page, "File: New Untitled Text File");
    await page.locator(".monaco-editor.focused").waitFor();
    chat = await chatView(page);
    // Shift+Enter adds a line, Enter sends
    const [first, second] = prompts.markdown.split("\n");
    await chat.locator("#prompt").fill(first);
    await chat.locator("#prompt").press("Shift+Enter");
    await chat.locator("#prompt").pressSequentially(second);
    await chat.locator("#prompt").press("Enter");
    const reply = chat.locator(".item.agent", { hasText: "Plan for tabs" });
    await reply.waitFor();
    await idle(chat);
    await reply.locator("h2", { hasText: "Plan for tabs" }).waitFor();
    await reply.locator("strong", { hasText: "tabs" }).waitFor();
    await reply.locator(".code-block pre code.language-python", { hasText: "def greet" }).waitFor();
    await reply.locator(".code-block .copy").waitFor();
    if (await chat.locator("#items script, #items img, #items [onerror]").count()) throw new Error("raw HTML from the model reached the DOM");
    await reply.getByText('<img src=x onerror="document.title=1">').waitFor();
    const user = chat.locator(".item.user .body").last();
    if ((await user.innerText()) !== prompts.markdown) throw new Error(`a multi-line prompt changed: ${await user.innerText()}`);
    await chat.locator("#prompt").press("ArrowUp"); // Up recalls the last prompt
    if ((await chat.locator("#prompt").inputValue()) !== prompts.markdown) throw new Error("Up did not recall the last prompt");
    await chat.locator("#prompt").fill("");
    await reply.locator(".code-block .insert").click();
    // inserted, and the editor took the focus (so no later focus change closes the palette)
    await page.locator(".monaco-editor.focused .view-lines", { hasText: "def greet(name):" }).first().waitFor();
  });

  await step("a memory commit chip opens the commit's diff", async () => {
    chat = await chatView(page);
    await say(chat, prompts.greeting);
    await chat.locator(".item.agent", { hasText: "Saved your greeting" }).waitFor();
    await idle(chat);
    const chip = chat.locator(".item.commit .chip", { hasText: "user greets" });
    await chip.click();
    await page.locator(".tabs-container .tab", { hasText: "greeting.md" }).waitFor();
    const diff = page.locator(".monaco-diff-editor");
    await diff.waitFor();
    await diff.locator(".editor.modified .view-lines", { hasText: "Says hello" }).waitFor();
    await diff.locator(".monaco-editor.focused").waitFor(); // the diff editor took the focus
    await page.locator(".editor-actions [aria-label^='Revert This Memory Commit']").waitFor();
    await memoryTree(page).row("greeting.md").waitFor(); // the tree refreshed on memfs/memoryChanged
    await shot(page, "commit-diff-dark");
    await memoryTree(page).header.click(); // collapse it again: the chat gets the room
  });

  await step("a failed tool call shows its reason; a provider error reads as an error", async () => {
    chat = await chatView(page);
    await say(chat, prompts.broken);
    await chat.locator(".item.agent", { hasText: "That file does not exist" }).waitFor();
    await idle(chat);
    const failed = chat.locator(".item.tool.failed").last();
    await failed.locator(".tool-state", { hasText: "failed:" }).waitFor();
    await failed.locator("summary").click();
    await failed.locator(".tool-error", { hasText: "nothing/here.md" }).waitFor();
    await say(chat, prompts.outage);
    await chat.locator(".item.error").last().waitFor();
    await idle(chat);
    await shot(page, "errors-dark");
  });

  await step("Stop ends a streaming reply and keeps what came", async () => {
    await say(chat, prompts.story);
    await chat.locator(".item.agent.streaming", { hasText: "Once upon a time" }).waitFor();
    await chat.locator("#busy").waitFor();
    await chat.locator("#stop").click();
    await chat.locator(".item.agent .note.stopped").last().waitFor();
    await idle(chat);
    await shot(page, "stopped-dark");
  });

  await step("Doctor findings appear in the Problems view", async () => {
    await palette(page, "Memfs: Memory Doctor");
    await choose(page, "Report only");
    const found = await toast(page, "memfs doctor:");
    await found.waitFor();
    await found.locator(".monaco-button", { hasText: "Open Problems" }).click();
    const problems = page.locator(".markers-panel");
    await problems.waitFor();
    await problems.locator(".monaco-list-row", { hasText: "[[nowhere]] points to no memory file" }).waitFor();
    await problems.locator(".monaco-list-row", { hasText: "greeting.md" }).first().waitFor();
    // the finding sits on its line (the link is on line 2)
    await problems.locator(".monaco-list-row", { hasText: "[[nowhere]] points to no memory file" }).filter({ hasNotText: "Ln 1, " }).waitFor();
    await shot(page, "problems-dark");
    await palette(page, "View: Toggle Panel Visibility");
  });

  await step("Show Memory Log opens a commit's diff, and Revert in its title bar undoes it", async () => {
    await palette(page, "Memfs: Show Memory Log");
    // each commit says who made it (its source, from memfs/commit)
    await page.locator(".quick-input-widget .quick-input-box input").fill("remember: team squashes merges");
    await row(page, "remember: team squashes merges").locator(".label-description", { hasText: "by you (Remember)" }).waitFor();
    await row(page, "remember: team squashes merges").click();
    await page.locator(".tabs-container .tab", { hasText: "merges.md" }).waitFor();
    await page.locator(".monaco-diff-editor .editor.modified .view-lines", { hasText: "Squash merges." }).waitFor();
    await page.locator(".monaco-diff-editor .monaco-editor.focused").waitFor();
    await page.locator(".editor-actions [aria-label^='Revert This Memory Commit']").click();
    await page.locator(".monaco-dialog-box .monaco-button", { hasText: "Revert" }).click();
    await (await toast(page, "memfs: reverted")).waitFor();
  });

  await step("Create Project Memory; a project memory edit waits for approval and Accept applies it", async () => {
    await palette(page, "Memfs: Create Project Memory");
    await (await toast(page, "project memory created in .memfs/memory")).waitFor();
    chat = await chatView(page);
    await say(chat, prompts.tabs);
    const card = chat.locator(".approval", { hasText: "project/system/project.md" });
    await card.locator(".approval-tier", { hasText: "shared with everyone on this repository" }).waitFor();
    await card.locator(".approval-reason", { hasText: "record the indentation" }).waitFor();
    await card.locator(".diff-line.add", { hasText: "Indent with tabs." }).waitFor();
    await chat.locator("#busy-text", { hasText: "Waiting for your approval" }).waitFor();
    await page.mouse.move(900, 600); // no hover in the picture
    await shot(page, "approval-dark");
    await card.locator("button.accept").click();
    await chat.locator(".item.agent", { hasText: "Noted for the team." }).waitFor();
    await idle(chat);
    if (await chat.locator(".approval").count()) throw new Error("the answered question is still shown");
    await chat.locator(".item.tool.ok", { hasText: "project/system/project.md" }).last().waitFor();
  });

  await step("Reject with a reason: the edit does not land and the agent is told why", async () => {
    await say(chat, prompts.semicolons);
    const card = chat.locator(".approval", { hasText: "project/system/project.md" });
    await card.locator(".diff-line.add", { hasText: "No semicolons." }).waitFor();
    // the pending edit is listed in the Agent Memory view too
    await memoryTree(page).header.click();
    await memoryTree(page).row("Waiting for your approval (1)").waitFor();
    await memoryTree(page).header.click();
    await card.locator("input.approval-why").fill(rejection);
    await card.locator("button.reject").click();
    await chat.locator(".item.agent", { hasText: "Understood, I left it as it was." }).waitFor();
    await idle(chat);
    const failed = chat.locator(".item.tool.failed").last();
    await failed.locator(".tool-state", { hasText: rejection }).waitFor();
  });

  await step("Stop while a question waits withdraws it (light theme)", async () => {
    await say(chat, prompts.fridays);
    await chat.locator(".approval .diff-line.add", { hasText: "Deploy on Fridays." }).waitFor();
    await palette(page, "Preferences: Color Theme");
    await choose(page, "Light Modern");
    await page.locator(".monaco-workbench.vs").waitFor();
    chat = await chatView(page);
    await chat.locator(".approval .diff-line.add", { hasText: "Deploy on Fridays." }).waitFor();
    await page.mouse.move(900, 600); // no hover in the picture
    await shot(page, "approval-light");
    await chat.locator("#stop").click();
    await chat.locator(".approval").waitFor({ state: "detached" });
    await idle(chat);
    await memoryTree(page).header.click(); // nothing is listed as waiting any more
    await memoryTree(page).row("project").first().waitFor();
    await memoryTree(page).row("Waiting for your approval").waitFor({ state: "detached" });
    await memoryTree(page).header.click();
    await palette(page, "Preferences: Color Theme");
    await choose(page, "Dark Modern");
    await page.locator(".monaco-workbench.vs-dark").waitFor();
  });

  await step("Always applies the edit, and later project edits land without a question", async () => {
    await say(chat, prompts.ci);
    const card = chat.locator(".approval", { hasText: "project/system/project.md" });
    await card.locator(".diff-line.add", { hasText: "CI runs on GitHub Actions." }).waitFor();
    await card.locator("button.always").click();
    await chat.locator(".item.agent", { hasText: "Noted, without asking next time." }).waitFor();
    await idle(chat);
    await say(chat, prompts.releases); // would wait for an answer if "always" had not held
    await chat.locator(".item.agent", { hasText: "Recorded the release tags." }).waitFor();
    await idle(chat);
    if (await chat.locator(".approval").count()) throw new Error("a question was asked after Always");
    await chat.locator(".item.tool.ok", { hasText: "project/system/project.md" }).last().waitFor();
  });

  await step("a scoped memory's CodeLens shows on a matching file and opens the memory", async () => {
    writeFileSync(join(workspace, ".memfs", "memory", "api.md"),
      "---\ndescription: API rules\npaths: [\"src/api/**\"]\n---\nAlways paginate lists.\n");
    await page.keyboard.press("Escape");
    await page.locator(".command-center-center").click();
    await page.locator(".quick-input-widget .quick-input-box input").fill("handler.py");
    await row(page, "handler.py").click();
    await page.locator(".tabs-container .tab", { hasText: "handler.py" }).waitFor();
    const lens = page.locator(".monaco-editor .codelens-decoration", { hasText: "memfs: 1 memory applies here" });
    await lens.waitFor();
    await page.mouse.move(900, 600); // no hover in the picture
    await shot(page, "codelens-dark");
    await lens.locator("a").first().click();
    await page.locator(".tabs-container .tab", { hasText: "api.md" }).waitFor();
    await page.locator(".monaco-editor .view-lines", { hasText: "Always paginate lists." }).first().waitFor();
    // the tree shows the tiers, a scoped file's globs and who changed each file (the chat
    // collapsed meanwhile, so that the tree has the room)
    const chatHeader = page.locator(".pane-header", { hasText: "Chat" });
    await chatHeader.click();
    await memoryTree(page).header.click();
    await memoryTree(page).row("project").locator(".label-description", { hasText: "shared with the team" }).waitFor();
    await memoryTree(page).row("api.md").locator(".label-description", { hasText: "scoped: src/api/**" }).waitFor();
    await memoryTree(page).row("project.md").locator(".label-description", { hasText: /in context · (just now|\d+ min ago)/ }).waitFor();
    await page.mouse.move(900, 600); // no hover in the picture
    await shot(page, "memory-tree-dark");
    await memoryTree(page).header.click();
    await chatHeader.click();
  });

  await step("New Conversation starts empty; switching back shows the first one", async () => {
    chat = await chatView(page);
    await palette(page, "Memfs: New Conversation");
    await chat.locator(".empty-state", { hasText: "Ask Memory Agent" }).waitFor();
    await say(chat, prompts.second);
    await chat.locator(".item.agent", { hasText: "This is the second conversation" }).waitFor();
    await idle(chat);
    // the new conversation gets a title after its first exchange
    await page.locator(".pane-header", { hasText: "Chat" }).filter({ hasNotText: "New conversation" }).waitFor();
    await palette(page, "Memfs: Switch Conversation…");
    await switchToOther(page);
    await chat.locator(".item.agent", { hasText: "Plan for tabs" }).waitFor();
    if (await chat.locator(".item.agent", { hasText: "This is the second conversation" }).count()) {
      throw new Error("the switched-to conversation shows the other one's messages");
    }
    await scrollTo(chat, prompts.markdown.split("\n")[0]);
    await shot(page, "chat-dark");
  });

  await step("light and high-contrast themes", async () => {
    const themes = [["Light Modern", "vs", "chat-light"], ["Dark High Contrast", "hc-black", "chat-high-contrast"], ["Dark Modern", "vs-dark", ""]];
    for (const [theme, kind, name] of themes) {
      await palette(page, "Preferences: Color Theme");
      await choose(page, theme);
      await page.locator(`.monaco-workbench.${kind}`).waitFor();
      chat = await chatView(page);
      await chat.locator(".item.agent", { hasText: "Plan for tabs" }).waitFor();
      if (!name) continue;
      await scrollTo(chat, prompts.markdown.split("\n")[0]);
      await shot(page, name);
    }
  });
  await step("reload: the key is still in the secret storage and the transcript comes back", async () => {
    const reloaded = page.waitForEvent("framenavigated", (frame) => frame === page.mainFrame());
    await palette(page, "Developer: Reload Window");
    await reloaded;
    await ready(page, "openai/scripted");
    chat = await chatView(page);
    await chat.locator(".item.agent", { hasText: "Plan for tabs" }).waitFor();
    await palette(page, "Memfs: Switch Conversation…");
    await switchToOther(page);
    await chat.locator(".item.agent", { hasText: "This is the second conversation" }).waitFor();
    await say(chat, prompts.after_reload);
    await chat.locator(".item.agent", { hasText: "Still here" }).waitFor();
    await idle(chat);
  });

  console.log("E2E OK");
} catch (error) {
  console.error(`e2e failed at step: ${current}`);
  if (page) {
    await page.screenshot({ path: join(shots, "failure.png") }).catch(() => {});
    const toasts = await page.locator(".notifications-toasts").allInnerTexts().catch(() => []);
    console.error(`notifications: ${JSON.stringify(toasts)}`);
  }
  throw error;
} finally {
  await browser?.close();
  try { process.kill(-server.pid, "SIGKILL"); } catch {}
}
