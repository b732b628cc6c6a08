// Indexing progress as a notification with Cancel. The server creates a work-done token
// (window/workDoneProgress/create); its reports are routed here instead of the status bar.
export interface ProgressValue {
  kind: "begin" | "report" | "end";
  title?: string;
  message?: string;
  percentage?: number;
}

export interface ProgressSink {
  report(value: { message?: string; increment?: number }): void;
}

/** Turns LSP begin/report/end values into increments for vscode's Progress (which adds them up). */
export class ProgressTracker {
  private reported = 0;
  message: string | null = null;

  constructor(private readonly sink: ProgressSink) {}

  update(value: ProgressValue): void {
    if (value.message !== undefined) this.message = value.message;
    const increment = value.percentage !== undefined ? Math.max(0, Math.min(100, value.percentage) - this.reported) : undefined;
    if (increment !== undefined) this.reported += increment;
    if (value.kind === "end") return;
    this.sink.report({ ...(value.message !== undefined ? { message: value.message } : {}), ...(increment ? { increment } : {}) });
  }

  get percentage(): number {
    return this.reported;
  }
}
