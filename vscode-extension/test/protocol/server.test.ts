// Drives the real `exbert-ls` (../.venv/bin/python -m exbert_ls.server) over stdio with
// vscode-jsonrpc, as the extension does: index a small corpus, explain (msgpack and JSON),
// search by embedding and by context, head summaries, status. Results go through the
// panel's own decoder; every answer is validated against the JSON Schema first (ajv).
import * as assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { ExbertServer, type IndexResult, type StatusResult } from "../../src/extension/server";
import type { HeadsPayload, SearchPayload } from "../../src/protocol";
import { decodeExplain } from "../../src/webview/decode";
import { REPO_ROOT } from "../helpers";
import { assertValid, COMMAND_OUTPUTS } from "./schema";

const PYTHON = process.env.EXBERT_PYTHON ?? path.join(REPO_ROOT, ".venv", "bin", "python");
const CORPUS = [
  "Dorothy lived in the midst of the great Kansas prairies with her uncle and aunt.",
  "The Scarecrow wanted a brain, and the Tin Woodman wanted a heart.",
  "The cat sat on the mat and watched the dog.",
  "The Wizard gave each of them a gift before he left in the balloon.",
  "She gave the little dog a bone and sat down beside the road.",
  "They walked along the yellow brick road until the sun went down.",
];

describe("exbert-ls over JSON-RPC (vscode-jsonrpc)", function () {
  this.timeout(240_000);
  let proc: ChildProcessWithoutNullStreams;
  let connection: MessageConnection;
  let server: ExbertServer;
  let workspace: string;
  const progress: { kind: string; percentage?: number }[] = [];
  const stderr: string[] = [];

  before(async function () {
    if (!existsSync(PYTHON)) this.skip(); // the Python side is not set up here (make setup)
    workspace = mkdtempSync(path.join(tmpdir(), "exbert-ws-"));
    mkdirSync(path.join(workspace, "corpus"));
    writeFileSync(path.join(workspace, "corpus", "oz.txt"), CORPUS.join(" ") + "\n");
    proc = spawn(PYTHON, ["-m", "exbert_ls.server"], { cwd: workspace, env: { ...process.env, PYTHONPATH: REPO_ROOT } });
    proc.stderr.on("data", (d: Buffer) => stderr.push(d.toString()));
    connection = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
    connection.onRequest("window/workDoneProgress/create", () => null);
    connection.onRequest("client/registerCapability", () => null);
    connection.onRequest("workspace/configuration", () => [null]);
    connection.onNotification("$/progress", (p: { value: { kind: string; percentage?: number } }) => void progress.push(p.value));
    connection.onNotification("window/logMessage", () => undefined);
    connection.listen();
    const uri = pathToFileURL(workspace).toString();
    await connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: uri,
      workspaceFolders: [{ uri, name: "ws" }],
      capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true, workspaceFolders: true } },
      initializationOptions: { exbert: { model: "minilm", databasePath: path.join(workspace, ".exbert", "index"), preload: false } },
    });
    await connection.sendNotification("initialized", {});
    // every answer is validated against the schema (ajv), not cast
    server = new ExbertServer({
      executeCommand: async (command, args) =>
        assertValid(COMMAND_OUTPUTS[command], await connection.sendRequest("workspace/executeCommand", { command, arguments: args })),
    });
  });

  after(async () => {
    if (!connection) return;
    try {
      await connection.sendRequest("shutdown");
      await connection.sendNotification("exit");
    } finally {
      connection.dispose();
      if (proc.exitCode === null) proc.kill();
    }
  });

  it("indexes a folder with work-done progress", async () => {
    const report = assertValid<IndexResult>(
      "index",
      await connection.sendRequest("workspace/executeCommand", {
        command: "exbert.indexWorkspace",
        arguments: [{ paths: [path.join(workspace, "corpus")] }],
      }),
    );
    assert.equal(report.schema, "exbert.index/1", stderr.join(""));
    assert.ok(!report.cancelled && report.sentences === CORPUS.length && report.tokens > 60, JSON.stringify(report));
    assert.equal(progress[0]?.kind, "begin");
    assert.equal(progress.at(-1)?.kind, "end");
    const status: StatusResult = await server.status();
    assert.ok(status.database.open);
    assert.equal(status.database.rows, report.tokens);
  });

  it("explains as msgpack and as JSON: the panel decodes both to the same attention", async () => {
    const text = "The Wizard of Oz gave the Scarecrow a brain.";
    const packed = await decodeExplain(await server.explain({ text }));
    const plain = await decodeExplain(await server.explain({ text, format: "json" }));
    const { attention, payload } = packed;
    assert.deepEqual([attention.layers, attention.heads, attention.size], [6, 12, payload.tokens.length]);
    assert.deepEqual(plain.payload.tokens.map((t) => t.text), payload.tokens.map((t) => t.text));
    assert.deepEqual(plain.attention.data, attention.data);
    assert.equal(payload.words.find((w) => w.text === "gave")?.pos, "VERB");
  });

  it("searches by embedding and by context of chosen heads", async () => {
    const text = "The cat sat on the mat and watched the dog.";
    const { payload } = await decodeExplain(await server.explain({ text }));
    const cat = payload.tokens.findIndex((t) => t.text === "cat");
    const byEmbedding: SearchPayload = await server.search({ text, token: cat, layer: 3, by: "embedding", k: 5 });
    assert.equal(byEmbedding.schema, "exbert.search/1");
    assert.equal(byEmbedding.matches.length, 5);
    assert.equal(byEmbedding.matches[0].token.text, "cat", "the same sentence is in the corpus");
    assert.ok(byEmbedding.matches[0].similarity > 0.95);
    const sims = byEmbedding.matches.map((m) => m.similarity);
    assert.deepEqual(sims, [...sims].sort((a, b) => b - a));
    const byContext: SearchPayload = await server.search({ text, token: cat, layer: 3, by: "context", heads: [0, 5], k: 4 });
    assert.deepEqual(byContext.query.heads, [0, 5]);
    assert.equal(byContext.matches.length, 4);
    for (const m of byContext.matches) assert.equal(m.text.slice(m.token.start, m.token.end).toLowerCase(), m.token.text.replace(/^##/, ""));
  });

  it("summarises heads of a layer and reports bad arguments as errors", async () => {
    const heads: HeadsPayload = await server.headSummary(2);
    assert.equal(heads.schema, "exbert.heads/1");
    assert.equal(heads.heads.length, 12);
    assert.ok(heads.heads.every((h) => h.layer === 2));
    await assert.rejects(server.headSummary(99), /layer 99 is out of range/);
  });
});
