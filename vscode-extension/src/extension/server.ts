// Typed calls of the server's `exbert.*` commands through `workspace/executeCommand`.
import type { AblateArgs, AblationPayload, AblationScanPayload, LensArgs, LensPayload } from "../protocol";
import type { AttentionRowsArgs, AttentionRowsPayload, ExplainArgs, ExplainResult, HeadsPayload, IndexResult, SearchArgs, SearchPayload, StatusResult } from "../protocol";

export interface CancelToken {
  readonly isCancellationRequested: boolean;
}

/** What the extension needs from a language client (a LanguageClient, or a fake in tests). */
export interface CommandSender {
  executeCommand(command: string, args: unknown[], token?: CancelToken): Promise<unknown>;
}

export type { IndexResult, StatusResult } from "../protocol";

export class ExbertServer {
  constructor(private readonly sender: CommandSender) {}

  explain(args: ExplainArgs): Promise<ExplainResult> {
    return this.call<ExplainResult>("exbert.explain", { format: "msgpack", ...args });
  }

  search(args: SearchArgs): Promise<SearchPayload> {
    return this.call<SearchPayload>("exbert.search", args);
  }

  headSummary(layer?: number, head?: number): Promise<HeadsPayload> {
    return this.call<HeadsPayload>("exbert.headSummary", { ...(layer ? { layer } : {}), ...(head !== undefined ? { head } : {}) });
  }

  lens(args: LensArgs): Promise<LensPayload> {
    return this.call<LensPayload>("exbert.lens", args);
  }

  /** `exbert.ablate`: the text with `args.heads` ablated, or (`scan`) every head alone. */
  ablate(args: AblateArgs & { scan?: false }): Promise<AblationPayload>;
  ablate(args: AblateArgs & { scan: true }): Promise<AblationScanPayload>;
  ablate(args: AblateArgs): Promise<AblationPayload | AblationScanPayload> {
    return this.call<AblationPayload | AblationScanPayload>("exbert.ablate", args);
  }

  attentionRows(args: AttentionRowsArgs): Promise<AttentionRowsPayload> {
    return this.call<AttentionRowsPayload>("exbert.attentionRows", args);
  }

  indexWorkspace(paths?: string[], token?: CancelToken): Promise<IndexResult> {
    return this.call<IndexResult>("exbert.indexWorkspace", paths ? { paths } : {}, token);
  }

  status(): Promise<StatusResult> {
    return this.call<StatusResult>("exbert.status", {});
  }

  private async call<T>(command: string, arg: object, token?: CancelToken): Promise<T> {
    return (await this.sender.executeCommand(command, [arg], token)) as T;
  }
}
