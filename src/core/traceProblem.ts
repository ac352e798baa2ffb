// What is wrong with a trace file, and where: the reader and its record-order check report these.

export type TraceProblemKind = 'malformed' | 'torn' | 'incomplete' | 'order' | 'inconsistent';

export interface TraceProblem {
  /** 0-based line number */
  line: number;
  kind: TraceProblemKind;
  message: string;
  /** 0-based column within the line, when known (JSON syntax errors) */
  column?: number;
}
