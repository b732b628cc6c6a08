// Which Python runs the server: the `exbert.pythonPath` setting, else a workspace .venv, else python3.
import * as path from "node:path";

export interface PythonChoice {
  command: string;
  source: "setting" | "workspace venv" | "default";
}

export function venvPythonCandidates(folder: string, platform: NodeJS.Platform = process.platform): string[] {
  const bin = platform === "win32" ? path.join("Scripts", "python.exe") : path.join("bin", "python");
  return [path.join(folder, ".venv", bin), path.join(folder, "venv", bin)];
}

/** `exists` is injected so the choice can be tested without a file system. */
export function choosePython(
  setting: string | undefined,
  folders: readonly string[],
  exists: (file: string) => boolean,
  platform: NodeJS.Platform = process.platform,
): PythonChoice {
  const configured = setting?.trim();
  if (configured) return { command: configured, source: "setting" };
  for (const folder of folders) {
    for (const candidate of venvPythonCandidates(folder, platform)) {
      if (exists(candidate)) return { command: candidate, source: "workspace venv" };
    }
  }
  return { command: platform === "win32" ? "python" : "python3", source: "default" };
}
