// Webview entry: pick the host (VS Code or standalone page), start the app, listen for messages.
import "./style.css";
import { App } from "./app";
import { detectHost } from "./host";

function boot(): void {
  const root = document.getElementById("app") ?? document.body.appendChild(document.createElement("div"));
  root.id = "app";
  const host = detectHost(document);
  const app = new App(root, host);
  if (host.connected) {
    // Only VS Code's host talks to the panel; a standalone page accepts no messages at all.
    window.addEventListener("message", (event: MessageEvent) => app.receive(event.data));
    host.post({ type: "ready" });
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
