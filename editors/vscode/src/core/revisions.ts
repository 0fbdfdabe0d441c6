// Memory files at a revision, as `memfs-rev:` URIs served by the read-only content provider
// (`memfs/read {path, rev}`), and the pairs a commit's diff compares. Pure (no `vscode`).

export const SCHEME = "memfs-rev";

export interface Revision {
  path: string;
  rev: string;
}

/** The URI parts of a memory file at a revision (path keeps its name for the editor tab). */
export function revisionUri(revision: Revision): { scheme: string; path: string; query: string } {
  return { scheme: SCHEME, path: `/${revision.path}`, query: new URLSearchParams({ rev: revision.rev }).toString() };
}

export function parseRevision(path: string, query: string): Revision {
  const rev = new URLSearchParams(query).get("rev");
  if (!rev) {
    throw new Error(`no revision in ${SCHEME}:${path}`);
  }
  return { path: path.replace(/^\/+/, ""), rev };
}

/** The commit a diff's right side shows (the commit itself; the left side is its parent). */
export function commitOf(revision: Revision): string {
  return revision.rev.replace(/\^$/, "");
}

export interface DiffPair {
  path: string;
  before: Revision;
  after: Revision;
  title: string;
}

/** One pair per path a commit touched: the file at the commit's parent and at the commit. */
export function commitDiffs(sha: string, paths: string[], message: string): DiffPair[] {
  const subject = message.split("\n")[0];
  return paths.map((path) => ({
    path,
    before: { path, rev: `${sha}^` },
    after: { path, rev: sha },
    title: `${path.split("/").pop()} (${sha.slice(0, 8)}: ${subject})`,
  }));
}
