/** Where commands write: injected so commands stay testable and main owns the process. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
  /** Whether `out` is a terminal (watch redraws in place only then). */
  readonly tty: boolean;
}
