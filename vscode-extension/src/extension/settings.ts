// The `exbert.*` settings, typed; the server receives the same section (camelCase keys).
import { LIMITS } from "../generated/payloads";

export interface ExbertSettings {
  pythonPath: string;
  model: string;
  databasePath: string;
  defaultLayer: number | null; // null: the middle layer (the server's default)
  k: number;
  hover: boolean;
  corpusFolders: string[]; // workspace-relative; empty: the whole workspace
  allowOutsideWorkspace: boolean; // the server's path confinement off (server/confine.py)
  storageOptions?: Record<string, string | number | boolean>; // object-store options for an s3:// databasePath
}

export interface ConfigurationLike {
  get<T>(key: string): T | undefined;
}

export function readSettings(config: ConfigurationLike): ExbertSettings {
  const layer = config.get<number | null>("defaultLayer");
  return {
    pythonPath: config.get<string>("pythonPath") ?? "",
    model: config.get<string>("model") || "minilm",
    databasePath: config.get<string>("databasePath") ?? "",
    defaultLayer: typeof layer === "number" && Number.isInteger(layer) && layer >= 0 ? layer : null,
    k: Math.max(1, Math.min(LIMITS.maxK, config.get<number>("k") ?? LIMITS.defaultK)),
    hover: config.get<boolean>("hover") ?? true,
    corpusFolders: (config.get<unknown[]>("corpusFolders") ?? []).filter((f): f is string => typeof f === "string"),
    storageOptions: storageOptionsOf(config.get<unknown>("storageOptions")),
    allowOutsideWorkspace: config.get<boolean>("allowOutsideWorkspace") === true,
  };
}

/** Only string, number and boolean values: the server refuses others (docs/storage.md). */
function storageOptionsOf(value: unknown): Record<string, string | number | boolean> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const kept = Object.entries(value).filter(([, v]) => ["string", "number", "boolean"].includes(typeof v));
  return Object.fromEntries(kept) as Record<string, string | number | boolean>;
}

/** What the server's Settings accept (exbert_ls/server/config.py): unset values become null. */
export function serverSettings(s: ExbertSettings): Record<string, unknown> {
  return {
    model: s.model,
    databasePath: s.databasePath || null,
    defaultLayer: s.defaultLayer,
    k: s.k,
    hover: s.hover,
    storageOptions: s.storageOptions ?? {},
    allowOutsideWorkspace: s.allowOutsideWorkspace,
  };
}
