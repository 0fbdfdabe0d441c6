// Memory history in the editor: a read-only document provider serving memory files at any
// revision (`memfs-rev:` URIs, `memfs/read {path, rev}`), a commit's diff, the memory log, and
// revert from an open diff.
import * as vscode from "vscode";
import { errorMessage, Server } from "./client";
import { relativeTime, sourceLabel } from "./core/format";
import { Commit, CommitDetails, LogEntry } from "./core/protocol";
import { commitDiffs, commitOf, parseRevision, revisionUri, Revision, SCHEME } from "./core/revisions";

export class RevisionDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly server: Server) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const revision = parseRevision(uri.path, uri.query);
    try {
      const file = await this.server.request<{ text: string }>("memfs/read", { path: revision.path, rev: revision.rev });
      return file.text;
    } catch (error) {
      if ((error as { data?: { code?: string } }).data?.code === "not-found") {
        return ""; // the file did not exist on that side (added, deleted, or the first commit)
      }
      throw error;
    }
  }
}

const toUri = (revision: Revision) => vscode.Uri.from(revisionUri(revision));

/** Open what a commit changed: a diff editor per file (a pick first when it touched several). */
export async function openCommit(commit: Commit): Promise<void> {
  const pairs = commitDiffs(commit.sha, commit.paths, commit.message);
  if (pairs.length === 0) {
    void vscode.window.showInformationMessage(`memfs: commit ${commit.sha.slice(0, 8)} changed no files`);
    return;
  }
  let pair = pairs[0];
  if (pairs.length > 1) {
    const pick = await vscode.window.showQuickPick(pairs.map((p) => ({ label: p.path, pair: p })),
      { placeHolder: `${commit.message.split("\n")[0]}: which file?` });
    if (!pick) {
      return;
    }
    pair = pick.pair;
  }
  await vscode.commands.executeCommand("vscode.diff", toUri(pair.before), toUri(pair.after), pair.title, { preview: true });
}

const SOURCE_LOOKUPS = 4; // memfs/commit requests in flight while the log is open
const SOURCES_SHOWN = 20; // the rows are redrawn after this many sources came in

interface LogPick extends vscode.QuickPickItem { entry: LogEntry }

const by = (source: string | undefined) => (sourceLabel(source) ? `by ${sourceLabel(source)}` : "");

/** Every memory commit, newest first: when, who made it (each commit's `source` from
 *  `memfs/commit`, filled in while the list is open) and the files it touched. */
export async function showMemoryLog(server: Server): Promise<void> {
  const log = await server.command<{ commits: LogEntry[] }>("memfs.memoryLog", { limit: 200 });
  const sources = new Map<string, string>();
  const describe = (entry: LogEntry): LogPick => ({
    label: entry.message.split("\n")[0],
    description: [entry.commit.slice(0, 8), relativeTime(entry.date), by(sources.get(entry.commit))].filter(Boolean).join(" · "),
    detail: entry.paths.join(", "),
    entry,
  });
  const pick = vscode.window.createQuickPick<LogPick>();
  pick.placeholder = "Memory log: pick a commit to see what it changed (revert it from the diff's title bar)";
  pick.matchOnDetail = true;
  pick.matchOnDescription = true;
  pick.items = log.commits.map(describe);
  let open = true;
  const chosen = new Promise<LogEntry | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]?.entry));
    pick.onDidHide(() => resolve(undefined));
  });
  pick.show();
  const show = () => { // keep the row the user is on
    const active = pick.activeItems[0]?.entry.commit;
    pick.items = log.commits.map(describe);
    const keep = pick.items.filter((item) => item.entry.commit === active);
    if (keep.length) pick.activeItems = keep;
  };
  const queue = [...log.commits];
  const lookUp = async () => {
    for (let entry = queue.shift(); entry && open; entry = queue.shift()) {
      try {
        sources.set(entry.commit, (await server.request<CommitDetails>("memfs/commit", { sha: entry.commit })).source);
      } catch {
        return; // the log works without who made each commit
      }
      if (open && sources.size % SOURCES_SHOWN === 0) show();
    }
  };
  void Promise.all(Array.from({ length: SOURCE_LOOKUPS }, lookUp)).then(() => open && show());
  const entry = await chosen;
  open = false;
  pick.dispose();
  if (entry) {
    await openCommit({ sha: entry.commit, paths: entry.paths, message: entry.message });
  }
}

/** Revert the commit shown by the active diff editor (a new commit undoes it). */
export async function revertShownCommit(server: Server, uri?: vscode.Uri): Promise<void> {
  const target = uri?.scheme === SCHEME ? uri : vscode.window.activeTextEditor?.document.uri;
  if (target?.scheme !== SCHEME) {
    void vscode.window.showInformationMessage("memfs: open a memory commit's diff first (Memfs: Show Memory Log)");
    return;
  }
  const commit = commitOf(parseRevision(target.path, target.query));
  const sure = await vscode.window.showWarningMessage(`Revert memory commit ${commit.slice(0, 8)}? A new commit undoes its changes.`,
    { modal: true }, "Revert");
  if (sure !== "Revert") {
    return;
  }
  try {
    const result = await server.command<{ commit: string }>("memfs.revert", { commit });
    void vscode.window.showInformationMessage(`memfs: reverted ${commit.slice(0, 8)} (new commit ${String(result.commit).slice(0, 8)})`);
  } catch (error) {
    void vscode.window.showErrorMessage(`memfs: could not revert ${commit.slice(0, 8)}: ${errorMessage(error)}`);
  }
}
