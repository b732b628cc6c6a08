// Standalone export: the payload and view settings as a JSON file, through a blob download.
import type { ExplainPayload, ViewState } from "../protocol";

export function exportDocument(payload: ExplainPayload, view: ViewState): string {
  return JSON.stringify({ schema: "exbert.page/1", payload, view }, null, 1);
}

export function downloadJson(payload: ExplainPayload, view: ViewState): void {
  const url = URL.createObjectURL(new Blob([exportDocument(payload, view)], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = "exbert-view.json";
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
