// A small stand-in for the `vscode` module (esbuild aliases `vscode` to this file in unit
// tests). It records what the extension asks of the editor; `mock` lets tests steer and inspect.
import * as path from "node:path";

export class Uri {
  private constructor(readonly scheme: string, readonly fsPath: string) {}
  static file(p: string): Uri {
    return new Uri("file", path.resolve(p));
  }
  static parse(text: string): Uri {
    const [scheme, rest] = text.split("://");
    return new Uri(scheme, rest ?? "");
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, path.join(base.fsPath, ...parts));
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export class Position {
  constructor(readonly line: number, readonly character: number) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(startLine: number, startCharacter: number, endLine: number, endCharacter: number) {
    this.start = new Position(startLine, startCharacter);
    this.end = new Position(endLine, endCharacter);
  }
}

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.push(listener);
    return disposable(() => (this.listeners = this.listeners.filter((l) => l !== listener)));
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

export class CancellationError extends Error {}

export const version = "1.95.0";
export enum LogLevel { Off = 0, Trace = 1, Debug = 2, Info = 3, Warning = 4, Error = 5 }
export class TabInputText {}
export class TabInputTextDiff {}
export class TabInputCustom {}
export class TabInputNotebook {}

// Classes vscode-languageclient extends when it loads (its converters are not exercised here).
export class CompletionItem {}
export class CodeLens {}
export class DocumentLink {}
export class InlayHint {}
export class SymbolInformation {}
export class CallHierarchyItem {}
export class TypeHierarchyItem {}
export class CodeAction {}
const kinds = (...names: string[]) => Object.fromEntries(names.map((n, i) => [n, i + 1]));
export const CodeActionKind = kinds("Empty", "QuickFix", "Refactor", "RefactorExtract", "RefactorInline", "RefactorMove", "RefactorRewrite", "Source", "SourceOrganizeImports", "SourceFixAll", "Notebook");
export const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 };
export const SymbolKind = kinds("File", "Module", "Namespace", "Package", "Class", "Method", "Property", "Field", "Constructor", "Enum", "Interface", "Function", "Variable", "Constant", "String", "Number", "Boolean", "Array", "Object", "Key", "Null", "EnumMember", "Struct", "Event", "Operator", "TypeParameter");
export class Diagnostic {}

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export enum ViewColumn { Active = -1, Beside = -2, One = 1, Two = 2 }
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }
export enum StatusBarAlignment { Left = 1, Right = 2 }
export enum ConfigurationTarget { Global = 1, Workspace = 2, WorkspaceFolder = 3 }

const disposable = (fn: () => void = () => undefined): Disposable => new Disposable(fn);
const noEvent = () => disposable();

type Listener<T> = (value: T) => void;

export class FakeWebview {
  html = "";
  options: Record<string, unknown> = {};
  readonly cspSource = "https://fake.vscode-cdn.test";
  readonly posted: unknown[] = [];
  private readonly listeners: Listener<unknown>[] = [];
  asWebviewUri(uri: Uri): Uri {
    return Uri.parse(`https://fake.vscode-cdn.test${uri.fsPath}`);
  }
  async postMessage(message: unknown): Promise<boolean> {
    this.posted.push(message);
    return true;
  }
  onDidReceiveMessage(listener: Listener<unknown>, _this?: unknown, bag?: Disposable[]): Disposable {
    this.listeners.push(listener);
    const d = disposable();
    bag?.push(d);
    return d;
  }
  /** What the webview script would send. */
  receive(message: unknown): void {
    for (const l of this.listeners) l(message);
  }
}

export class FakePanel {
  readonly webview = new FakeWebview();
  revealed = 0;
  disposed = false;
  visible = true;
  private readonly viewStateListeners: (() => void)[] = [];
  private readonly disposeListeners: (() => void)[] = [];
  constructor(readonly viewType: string, readonly title: string, readonly showOptions: unknown, options: Record<string, unknown>) {
    this.webview.options = options;
  }
  reveal(): void {
    this.revealed++;
  }
  onDidChangeViewState(listener: () => void, _this?: unknown, bag?: Disposable[]): Disposable {
    this.viewStateListeners.push(listener);
    const d = disposable();
    bag?.push(d);
    return d;
  }
  /** The user switched tabs: the webview is hidden (and, without retained context, torn down). */
  setVisible(visible: boolean): void {
    this.visible = visible;
    for (const l of this.viewStateListeners) l();
  }
  onDidDispose(listener: () => void, _this?: unknown, bag?: Disposable[]): Disposable {
    this.disposeListeners.push(listener);
    const d = disposable();
    bag?.push(d);
    return d;
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of this.disposeListeners) l();
  }
}

export const mock = {
  panels: [] as FakePanel[],
  messages: [] as { level: "info" | "warning" | "error"; text: string }[],
  written: new Map<string, string>(),
  saveTarget: undefined as Uri | undefined,
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  config: new Map<string, unknown>(),
  configUpdates: [] as [string, unknown][],
  quickPick: undefined as unknown,
  documents: [] as { language?: string; content?: string }[],
  log: [] as string[],
  progress: [] as { options: unknown; reports: unknown[] }[],
  statusItems: [] as { text: string; tooltip: unknown }[],
  shown: [] as { target: unknown; options: unknown }[],
  revealed: [] as Range[],
  executed: [] as unknown[][],
  reset(): void {
    this.executed.length = 0;
    this.panels.length = 0;
    this.messages.length = 0;
    this.written.clear();
    this.saveTarget = undefined;
    this.commands.clear();
    this.config.clear();
    this.configUpdates.length = 0;
    this.quickPick = undefined;
    this.documents.length = 0;
    this.log.length = 0;
    this.progress.length = 0;
    this.statusItems.length = 0;
    this.shown.length = 0;
    this.revealed.length = 0;
    window.activeTextEditor = undefined;
  },
};

const cancelToken = { isCancellationRequested: false, onCancellationRequested: () => disposable() };

export const window = {
  activeTextEditor: undefined as unknown,
  createWebviewPanel(viewType: string, title: string, showOptions: unknown, options: Record<string, unknown>): FakePanel {
    const panel = new FakePanel(viewType, title, showOptions, options);
    mock.panels.push(panel);
    return panel;
  },
  async showSaveDialog(): Promise<Uri | undefined> {
    return mock.saveTarget;
  },
  async showInformationMessage(text: string) {
    mock.messages.push({ level: "info", text });
    return undefined;
  },
  async showWarningMessage(text: string) {
    mock.messages.push({ level: "warning", text });
    return undefined;
  },
  async showErrorMessage(text: string) {
    mock.messages.push({ level: "error", text });
    return undefined;
  },
  async withProgress<T>(options: unknown, task: (progress: { report(v: unknown): void }, token: typeof cancelToken) => Promise<T>): Promise<T> {
    const record = { options, reports: [] as unknown[] };
    mock.progress.push(record);
    return task({ report: (v) => record.reports.push(v) }, cancelToken);
  },
  async showQuickPick(): Promise<unknown> {
    return mock.quickPick;
  },
  async showInputBox(): Promise<string | undefined> {
    return undefined;
  },
  async showTextDocument(target: unknown, options?: unknown): Promise<unknown> {
    mock.shown.push({ target, options });
    return { revealRange: (range: Range) => mock.revealed.push(range) };
  },
  registerWebviewPanelSerializer: () => disposable(),
  visibleTextEditors: [] as unknown[],
  onDidChangeVisibleTextEditors: noEvent,
  onDidChangeActiveTextEditor: noEvent,
  tabGroups: { all: [] as unknown[], onDidChangeTabs: noEvent, onDidChangeTabGroups: noEvent },
  createOutputChannel(name: string) {
    const log = (...args: unknown[]) => mock.log.push(`${name}: ${args.map(String).join(" ")}`);
    return {
      name, logLevel: 2, onDidChangeLogLevel: noEvent, append: log, appendLine: log, replace: log, clear: () => undefined,
      show: () => undefined, hide: () => undefined, dispose: () => undefined,
      trace: log, debug: log, info: log, warn: log, error: log,
    };
  },
  createStatusBarItem() {
    const item = { text: "", tooltip: "" as unknown, command: undefined as unknown, show: () => undefined, hide: () => undefined, dispose: () => undefined };
    mock.statusItems.push(item);
    return item;
  },
};

export const languages = {
  match: () => 0,
  createDiagnosticCollection: () => ({ set: () => undefined, delete: () => undefined, clear: () => undefined, dispose: () => undefined }),
  registerHoverProvider: () => disposable(),
};

export const env = { language: "en", appName: "mock", machineId: "mock", sessionId: "mock", openExternal: async () => true };

export const workspace = {
  workspaceFolders: undefined as unknown,
  isTrusted: true,
  onDidGrantWorkspaceTrust: noEvent,
  registerTextDocumentContentProvider: () => disposable(),
  asRelativePath: (target: string | Uri) => (typeof target === "string" ? target : target.fsPath),
  textDocuments: [] as unknown[],
  notebookDocuments: [] as unknown[],
  onDidChangeConfiguration: noEvent,
  onDidOpenTextDocument: noEvent,
  onDidCloseTextDocument: noEvent,
  onDidChangeTextDocument: noEvent,
  onDidSaveTextDocument: noEvent,
  onWillSaveTextDocument: noEvent,
  onDidChangeWorkspaceFolders: noEvent,
  createFileSystemWatcher: () => ({ onDidCreate: noEvent, onDidChange: noEvent, onDidDelete: noEvent, dispose: () => undefined }),
  fs: {
    async writeFile(uri: Uri, bytes: Uint8Array): Promise<void> {
      mock.written.set(uri.fsPath, new TextDecoder().decode(bytes));
    },
  },
  getConfiguration(section?: string) {
    const full = (key: string) => (section ? `${section}.${key}` : key);
    const read = (key: string): unknown => {
      if (mock.config.has(full(key))) return mock.config.get(full(key));
      const prefix = `${full(key)}.`;
      const nested = [...mock.config].filter(([k]) => k.startsWith(prefix));
      return nested.length ? Object.fromEntries(nested.map(([k, v]) => [k.slice(prefix.length), v])) : undefined;
    };
    return {
      get: <T>(key: string, fallback?: T): T | undefined => (read(key) as T | undefined) ?? fallback,
      has: (key: string) => read(key) !== undefined,
      update: async (key: string, value: unknown) => {
        mock.configUpdates.push([`${section}.${key}`, value]);
        mock.config.set(`${section}.${key}`, value);
      },
    };
  },
  async openTextDocument(init: { language?: string; content?: string }) {
    mock.documents.push(init);
    return init;
  },
};

export const commands = {
  async executeCommand(id: string, ...args: unknown[]): Promise<unknown> {
    mock.executed.push([id, ...args]);
    return mock.commands.get(id)?.(...args);
  },
  registerCommand(id: string, fn: (...args: unknown[]) => unknown): Disposable {
    mock.commands.set(id, fn);
    return disposable(() => mock.commands.delete(id));
  },
};
