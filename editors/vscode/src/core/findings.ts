// Doctor findings as the Problems view and the findings list show them. Pure (no `vscode`).
import { Finding } from "./protocol";

export type Severity = "error" | "warning" | "info";

export interface Problem {
  path: string;
  /** 0-based, inclusive */
  startLine: number;
  endLine: number;
  severity: Severity;
  message: string;
  code: string;
}

/** Findings grouped by memory file; a finding without lines sits on the first line. */
export function problemsByPath(findings: Finding[]): Map<string, Problem[]> {
  const out = new Map<string, Problem[]>();
  for (const finding of findings) {
    const start = Math.max(0, (finding.startLine ?? 1) - 1);
    const end = Math.max(start, (finding.endLine ?? finding.startLine ?? 1) - 1);
    const severity: Severity = finding.severity === "error" ? "error" : finding.severity === "warning" ? "warning" : "info";
    const list = out.get(finding.path) ?? [];
    list.push({ path: finding.path, startLine: start, endLine: end, severity, message: finding.message, code: finding.code });
    out.set(finding.path, list);
  }
  return out;
}

/** "No findings", or "3 findings: 1 error, 2 warnings". */
export function findingsSummary(findings: Finding[]): string {
  if (findings.length === 0) {
    return "No findings";
  }
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const parts = ["error", "warning", "info"].filter((s) => counts.get(s)).map((s) => {
    const n = counts.get(s) ?? 0;
    return `${n} ${s === "info" ? "note" : s}${n === 1 ? "" : "s"}`;
  });
  return `${findings.length} finding${findings.length === 1 ? "" : "s"}: ${parts.join(", ")}`;
}
