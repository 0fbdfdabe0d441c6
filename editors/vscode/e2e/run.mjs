// End-to-end: install the .vsix into code-server, open the workspace in headless Chromium, run
// "Memfs: Remember…" from the palette and one chat turn in the chat view. The Python test
// (tests/editors/test_vscode_e2e.py) starts the scripted model and checks the memory commits.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  if (!process.env[name]) throw new Error(`missing ${name}`);
  return process.env[name];
};
const codeServer = env("CODE_SERVER"), vsix = env("VSIX"), workspace = env("WORKSPACE");
const tmp = env("E2E_TMP"), port = env("PORT"), serverCommand = JSON.parse(env("SERVER_COMMAND"));
const userData = join(tmp, "user-data"), extensions = join(tmp, "extensions");
mkdirSync(join(userData, "User"), { recursive: true });
writeFileSync(join(userData, "User", "settings.json"), JSON.stringify({
  "workbench.startupEditor": "none",
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "chat.disableAIFeatures": true,
  "security.workspace.trust.enabled": false,
  "memfs.server.command": serverCommand,
}));
const childEnv = { ...process.env, XDG_DATA_HOME: join(tmp, "xdg-data"), XDG_CONFIG_HOME: join(tmp, "xdg-config"), XDG_CACHE_HOME: join(tmp, "xdg-cache") };
execFileSync(codeServer, ["--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", vsix, "--force"], { env: childEnv, stdio: "inherit" });
const server = spawn(codeServer, ["--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check",
  "--disable-workspace-trust", "--user-data-dir", userData, "--extensions-dir", extensions, workspace], { env: childEnv, detached: true, stdio: "ignore" });

const deadline = (seconds) => Date.now() + seconds * 1000;
async function paletteRun(page, title) {
  const until = deadline(90);
  while (Date.now() < until) {
    await page.keyboard.press("F1");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ timeout: 10000 });
    await input.fill(`>${title}`);
    const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 3000 });
      await page.keyboard.press("Enter");
      return;
    } catch {
      await page.keyboard.press("Escape");
      await page.waitForTimeout(1000);
    }
  }
  throw new Error(`palette command not found: ${title}`);
}

let browser, page;
try {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const until = deadline(60);
  for (;;) {
    try { await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`); break; } catch (e) {
      if (Date.now() > until) throw e;
      await page.waitForTimeout(500);
    }
  }
  await page.locator(".monaco-workbench").waitFor({ timeout: 60000 });

  await paletteRun(page, "Memfs: Remember…");
  // the palette's widget is reused for the input box: wait for our prompt before typing
  await page.locator(".quick-input-widget", { hasText: "What should the agent remember" }).waitFor({ timeout: 20000 });
  const box = page.locator(".quick-input-widget input");
  await box.fill("we squash merges");
  await page.keyboard.press("Enter");
  await page.locator(".notifications-toasts", { hasText: "remembered in" }).waitFor({ timeout: 60000 });

  await paletteRun(page, "Memfs: Open Chat");
  const chatUntil = deadline(60);
  let frame;
  while (!frame && Date.now() < chatUntil) {
    for (const f of page.frames()) {
      if (await f.locator("#prompt").count().catch(() => 0)) frame = f;
    }
    if (!frame) await page.waitForTimeout(500);
  }
  if (!frame) throw new Error("the chat view did not open");
  await frame.locator("#prompt").fill("hello from the e2e test");
  await frame.locator("#send").click();
  await frame.locator(".reply", { hasText: process.env.EXPECT_REPLY ?? "Hello from memfs" }).waitFor({ timeout: 60000 });
  await frame.locator(".commit").first().waitFor({ timeout: 10000 });
  await page.screenshot({ path: join(tmp, "vscode-e2e.png") });
  console.log("E2E OK");
} catch (error) {
  if (page) {
    await page.screenshot({ path: join(tmp, "vscode-e2e-failure.png") }).catch(() => {});
    const toasts = await page.locator(".notifications-toasts").allInnerTexts().catch(() => []);
    console.error(`notifications: ${JSON.stringify(toasts)}`);
  }
  throw error;
} finally {
  await browser?.close();
  try { process.kill(-server.pid, "SIGKILL"); } catch {}
}
