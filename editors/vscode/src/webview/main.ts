// The chat view's page: renders the transcript the extension sends (markdown sanitized by
// DOMPurify), the no-model state, and the composer pinned at the bottom. It holds no logic of
// its own beyond display: every action is a message to the extension.
import DOMPurify from "dompurify";
import { HostMessage, ViewMessage, ViewState } from "../core/viewMessages";
import { Approval, ApprovalDecision, Item } from "../core/protocol";
import { operationVerb, toolSummary } from "../core/format";
import { createMarkdown } from "./markdown";

interface VsCodeApi {
  postMessage(message: ViewMessage): void;
  getState(): Saved | undefined;
  setState(state: Saved): void;
}
interface Saved { draft: string; history: string[] }
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const md = createMarkdown();
const saved: Saved = vscode.getState() ?? { draft: "", history: [] };
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const transcript = byId<HTMLDivElement>("transcript");
const items = byId<HTMLDivElement>("items");
const approvals = byId<HTMLDivElement>("approvals");
const emptyState = byId<HTMLDivElement>("empty");
const banner = byId<HTMLDivElement>("banner");
const prompt = byId<HTMLTextAreaElement>("prompt");
const send = byId<HTMLButtonElement>("send");
const stop = byId<HTMLButtonElement>("stop");

let state: ViewState = { items: [], hasMore: false, busy: false, approvals: [] };
const rendered = new Map<string, HTMLElement>();
const expanded = new Set<string>();
let loadingOlder = false;
let recall = -1;

const post = (message: ViewMessage) => vscode.postMessage(message);
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, className = "", text?: string): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};
const icon = (name: string, spin = false) => el("span", `codicon codicon-${name}${spin ? " codicon-modifier-spin" : ""}`);

// ----- items ---------------------------------------------------------------------------------

function renderMarkdown(text: string): DocumentFragment {
  const fragment = DOMPurify.sanitize(md.render(text), {
    RETURN_DOM_FRAGMENT: true, FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "img", "video", "audio", "iframe"],
    FORBID_ATTR: ["style", "id"], ALLOWED_URI_REGEXP: /^(?:https?|mailto):/i,
  });
  for (const code of Array.from(fragment.querySelectorAll("pre > code"))) {
    const pre = code.parentElement as HTMLElement;
    const language = (/language-(\S+)/.exec(code.className) ?? [])[1] ?? "";
    const block = el("div", "code-block");
    const bar = el("div", "code-toolbar");
    bar.append(el("span", "code-language", language));
    const copy = el("button", "icon-button copy");
    copy.title = "Copy";
    copy.setAttribute("aria-label", "Copy");
    copy.append(icon("copy"));
    copy.onclick = () => post({ type: "copy", text: code.textContent ?? "" });
    const insert = el("button", "icon-button insert");
    insert.title = "Insert at Cursor";
    insert.setAttribute("aria-label", "Insert at Cursor");
    insert.append(icon("insert"));
    insert.onclick = () => post({ type: "insert", text: code.textContent ?? "", language });
    bar.append(copy, insert);
    pre.replaceWith(block);
    block.append(bar, pre);
  }
  return fragment;
}

function who(name: string): HTMLElement {
  return el("div", "who", name);
}

function renderItem(item: Item, previous: Item | undefined): HTMLElement {
  switch (item.kind) {
    case "user": {
      const node = el("div", "item user");
      node.append(who("You"), el("div", "body", item.text ?? ""));
      return node;
    }
    case "agent": {
      const node = el("div", `item agent${item.status === "streaming" ? " streaming" : ""}`);
      if (!previous || previous.kind === "user") node.append(who(state.agent ?? "Agent"));
      const body = el("div", "body markdown");
      body.append(renderMarkdown(item.text ?? ""));
      node.append(body);
      if (item.status === "interrupted") node.append(el("div", "note stopped", item.text ? "Stopped" : "Stopped before a reply"));
      return node;
    }
    case "toolCall":
      return renderTool(item);
    case "memoryCommit": {
      const commit = item.commit ?? { sha: "", paths: [], message: "" };
      const node = el("div", "item commit");
      const chip = el("button", "chip");
      chip.title = `Memory commit ${commit.sha.slice(0, 8)}: ${commit.message.split("\n")[0]}\n${commit.paths.join("\n")}\nClick to see what it changed`;
      chip.setAttribute("aria-label", `Memory commit: ${commit.message.split("\n")[0]}. Show what it changed`);
      chip.append(icon("git-commit"), el("span", "chip-label", commit.message.split("\n")[0]));
      if (commit.paths.length) chip.append(el("span", "chip-paths", commit.paths.join(", ")));
      chip.onclick = () => post({ type: "openCommit", commit });
      node.append(chip);
      return node;
    }
    case "compaction":
      return el("div", "item compaction", item.text || "Earlier messages summarized");
    case "error": {
      const node = el("div", "item error");
      node.setAttribute("role", "alert");
      const text = el("div", "error-text");
      text.append(el("div", "error-message", item.text ?? "Something went wrong"));
      if (item.hint) text.append(el("div", "error-hint", item.hint));
      node.append(icon("error"), text);
      return node;
    }
  }
}

function renderTool(item: Item): HTMLElement {
  const call = item.toolCall ?? { callId: item.id, name: "tool", arguments: {} };
  const running = call.ok === undefined && item.status !== "interrupted";
  const failed = call.ok === false;
  const node = el("details", `item tool ${running ? "running" : failed ? "failed" : item.status === "interrupted" ? "interrupted" : "ok"}`);
  node.open = expanded.has(call.callId);
  node.ontoggle = () => (node.open ? expanded.add(call.callId) : expanded.delete(call.callId));
  const summary = el("summary");
  summary.append(running ? icon("loading", true) : icon(failed ? "error" : item.status === "interrupted" ? "circle-slash" : "check"));
  summary.append(el("span", "tool-label", toolSummary(call.name, call.arguments)));
  if (failed) summary.append(el("span", "tool-state", call.error ? `failed: ${call.error.split("\n")[0]}` : "failed"));
  if (item.status === "interrupted" && call.ok === undefined) summary.append(el("span", "tool-state", "stopped"));
  node.append(summary);
  const detail = el("div", "tool-detail");
  detail.append(el("div", "tool-section", "Arguments"), el("pre", "tool-json", JSON.stringify(call.arguments, null, 2)));
  if (failed) {
    detail.append(el("div", "tool-section", "Error"), el("pre", "tool-error", call.error ?? "(no reason given)"));
  } else if (call.output) {
    detail.append(el("div", "tool-section", "Result"), el("pre", "tool-output", call.output));
  }
  node.append(detail);
  return node;
}

// ----- approvals -------------------------------------------------------------------------------

/** A memory edit waiting for the user: what, why, the diff, and Accept / Reject / Always. */
function renderApproval(approval: Approval): HTMLElement {
  const node = el("div", "approval");
  node.dataset.id = approval.id;
  node.setAttribute("role", "group");
  node.setAttribute("aria-label", `Approve the agent's edit of ${approval.path}?`);
  const head = el("div", "approval-head");
  head.append(icon("shield"), el("span", "approval-title", `The agent wants to ${operationVerb(approval.operation)}`), el("code", "approval-path", approval.path));
  const tier = el("div", "approval-tier", approval.tier === "project"
    ? "Project memory: shared with everyone on this repository" : "The agent's own memory");
  const why = el("div", "approval-reason", approval.reason ? `Why: ${approval.reason}` : "");
  const diff = el("pre", "approval-diff");
  for (const line of approval.diff.replace(/\n$/, "").split("\n")) {
    const kind = line.startsWith("+++") || line.startsWith("---") ? "meta" : line.startsWith("@@") ? "hunk"
      : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "ctx";
    diff.append(el("span", `diff-line ${kind}`, `${line}\n`));
  }
  const reason = el("input", "approval-why");
  reason.type = "text";
  reason.placeholder = "Reason for a rejection (optional: the agent sees it)";
  reason.setAttribute("aria-label", "Reason for a rejection");
  const answer = (decision: ApprovalDecision) => () => {
    node.classList.add("answered");
    node.querySelectorAll("button, input").forEach((b) => ((b as HTMLButtonElement).disabled = true));
    post({ type: "approve", id: approval.id, decision, reason: decision === "reject" ? reason.value : undefined });
  };
  const button = (label: string, className: string, codicon: string, title: string, decision: ApprovalDecision) => {
    const b = el("button", className);
    b.title = title;
    b.append(icon(codicon), el("span", "", label));
    b.onclick = answer(decision);
    return b;
  };
  reason.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.isComposing) {
      event.preventDefault();
      answer("reject")();
    }
  });
  const actions = el("div", "approval-actions");
  actions.append(
    button("Accept", "primary accept", "check", "Apply this edit", "accept"),
    button("Reject", "secondary reject", "close", "Do not apply it; the agent is told why", "reject"),
    button("Always", "secondary always", "check-all", `Apply it, and every later edit of ${approval.tier} memory in this workspace without asking`, "always"),
  );
  node.append(head, tier, why, diff, reason, actions);
  return node;
}

function renderApprovals(): void {
  const stick = atBottom();
  approvals.replaceChildren(...state.approvals.map(renderApproval));
  renderChrome();
  if (stick || state.approvals.length) scrollToBottom();
}

// ----- the page ------------------------------------------------------------------------------

const atBottom = () => transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 24;
const scrollToBottom = () => (transcript.scrollTop = transcript.scrollHeight);

function renderAll(): void {
  rendered.clear();
  items.replaceChildren();
  state.items.forEach((item, index) => {
    const node = renderItem(item, state.items[index - 1]);
    node.dataset.id = item.id;
    rendered.set(item.id, node);
    items.append(node);
  });
  renderChrome();
}

function upsert(changed: Item[]): void {
  const stick = atBottom();
  for (const item of changed) {
    const index = state.items.findIndex((i) => i.id === item.id);
    if (index === -1) state.items.push(item);
    else state.items[index] = item;
    const at = state.items.findIndex((i) => i.id === item.id);
    const node = renderItem(item, state.items[at - 1]);
    node.dataset.id = item.id;
    const old = rendered.get(item.id);
    if (old) old.replaceWith(node);
    else items.append(node);
    rendered.set(item.id, node);
  }
  renderChrome();
  if (stick) scrollToBottom();
}

function prepend(older: Item[], hasMore: boolean): void {
  const before = transcript.scrollHeight;
  state.items = [...older, ...state.items];
  state.hasMore = hasMore;
  const top = items.firstChild;
  older.forEach((item, index) => {
    const node = renderItem(item, older[index - 1]);
    node.dataset.id = item.id;
    rendered.set(item.id, node);
    items.insertBefore(node, top);
  });
  transcript.scrollTop += transcript.scrollHeight - before;
  loadingOlder = false;
  renderChrome();
}

function renderChrome(): void {
  byId("older").hidden = !state.hasMore;
  const busy = byId("busy");
  busy.hidden = !state.busy;
  const last = state.items[state.items.length - 1];
  byId("busy-text").textContent = state.approvals.length ? "Waiting for your approval…"
    : last?.kind === "toolCall" && last.toolCall?.ok === undefined ? "Working…" : "Thinking…";
  send.hidden = state.busy;
  stop.hidden = !state.busy;
  send.disabled = !prompt.value.trim();
  const noModel = state.model !== undefined && !state.model.configured;
  emptyState.replaceChildren();
  emptyState.hidden = state.items.length > 0 || state.busy;
  if (!emptyState.hidden) emptyState.append(...emptyContent(noModel));
  banner.hidden = !(noModel && state.items.length > 0);
  document.body.classList.toggle("no-model", noModel);
}

function emptyContent(noModel: boolean): HTMLElement[] {
  if (state.offline) {
    return [el("h2", "", "The memfs server is not running"), el("p", "", state.offline)];
  }
  if (noModel) {
    const button = el("button", "primary");
    button.id = "configure-model";
    button.append(icon("settings-gear"), el("span", "", "Configure Model"));
    button.onclick = () => post({ type: "configureModel" });
    const parts = [
      icon("sparkle"),
      el("h2", "", "No model configured"),
      el("p", "", "The agent needs a model to chat. Memory, history and the doctor's report work without one."),
      button,
      el("p", "muted", "Pick a provider and a model; the API key is kept in VS Code's secret storage."),
    ];
    if (state.model?.hint) {
      const more = el("details", "other-ways");
      more.append(el("summary", "", "Other ways to configure one"), el("p", "", state.model.hint));
      parts.push(more);
    }
    return parts;
  }
  return [
    icon("comment-discussion"),
    el("h2", "", state.agent ? `Ask ${state.agent}` : "Ask the agent"),
    el("p", "", "It remembers your preferences and past work across sessions, in a git-backed memory you can read, edit and revert."),
    el("p", "muted", "Enter sends · Shift+Enter adds a line · ↑ recalls your last message"),
  ];
}

// ----- composer ------------------------------------------------------------------------------

function resize(): void {
  prompt.style.height = "auto";
  prompt.style.height = `${Math.min(prompt.scrollHeight, 240)}px`;
  send.disabled = !prompt.value.trim();
  vscode.setState({ ...saved, draft: prompt.value });
  saved.draft = prompt.value;
}

function submit(): void {
  const text = prompt.value;
  if (!text.trim() || state.busy) return;
  post({ type: "send", text });
  saved.history = [...saved.history.filter((h) => h !== text), text].slice(-50);
  recall = -1;
  prompt.value = "";
  resize();
}

prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submit();
  } else if (event.key === "ArrowUp" && saved.history.length && (prompt.value === "" || recall !== -1) && prompt.selectionStart === 0) {
    event.preventDefault();
    recall = recall === -1 ? saved.history.length - 1 : Math.max(0, recall - 1);
    prompt.value = saved.history[recall];
    resize();
  } else if (event.key === "ArrowDown" && recall !== -1 && prompt.selectionEnd === prompt.value.length) {
    event.preventDefault();
    recall = recall + 1 < saved.history.length ? recall + 1 : -1;
    prompt.value = recall === -1 ? "" : saved.history[recall];
    resize();
  }
});
prompt.addEventListener("input", () => {
  recall = -1;
  resize();
});
send.onclick = submit;
stop.onclick = () => post({ type: "stop" });
byId<HTMLButtonElement>("banner-configure").onclick = () => post({ type: "configureModel" });
transcript.addEventListener("scroll", () => {
  if (transcript.scrollTop < 40 && state.hasMore && !loadingOlder) {
    loadingOlder = true;
    post({ type: "loadOlder" });
  }
});

window.addEventListener("message", (event: MessageEvent<HostMessage>) => {
  const message = event.data;
  switch (message.type) {
    case "reset":
      state = { ...message };
      loadingOlder = false;
      renderAll();
      renderApprovals();
      scrollToBottom();
      break;
    case "upsert":
      upsert(message.items);
      break;
    case "prepend":
      prepend(message.items, message.hasMore);
      break;
    case "busy":
      state.busy = message.busy;
      renderChrome();
      if (message.busy) scrollToBottom();
      break;
    case "approvals":
      state.approvals = message.approvals;
      renderApprovals();
      break;
    case "model":
      state.model = message.model;
      state.agent = message.agent ?? state.agent;
      renderChrome();
      break;
  }
});

prompt.value = saved.draft;
resize();
prompt.focus();
post({ type: "ready" });
