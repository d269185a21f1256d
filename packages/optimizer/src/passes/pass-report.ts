import type { ModelProto } from '@gpux/onnx';

/** What one graph pass changed. */
export interface PassReport {
  /** The pass's name (`remove-unused-nodes`, `fold-constants`, ...). */
  pass: string;
  /** Whether the pass edited the model. */
  changed: boolean;
  /** Counts of what changed, by kind (`nodesRemoved`, `initializersRemoved`, ...). */
  counts: Record<string, number>;
  /** Facts worth telling the user (what was kept and why, what was skipped). */
  notes: string[];
}

/** A graph pass: edits the model in place and says what it changed. */
export type GraphPass = (model: ModelProto) => PassReport;

/** Builds a report; `changed` is true when any count is above zero. */
export function passReport(pass: string, counts: Record<string, number>, notes: string[] = []): PassReport {
  return { pass, changed: Object.values(counts).some((count) => count > 0), counts, notes };
}
