// What check.mjs and read.mjs share: a clean stdout, stdin as JSON, and both
// real Mermaid versions loaded under a jsdom window.
//
// Import this module first: its top level runs before the importing script's
// body, and it must redirect the console before Mermaid is imported, because
// Mermaid binds the console methods when it sets up its logger at load time.

import { Console } from "node:console";
import process from "node:process";

// Everything except a script's final JSON goes to stderr.
export const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
const stderrConsole = new Console({ stdout: process.stderr, stderr: process.stderr });
for (const method of ["log", "info", "debug", "warn", "error", "trace", "dir", "table"]) {
  console[method] = stderrConsole[method].bind(stderrConsole);
}

export async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

// A minimal DOM (DOMPurify, which Mermaid sanitises with, needs one; Mermaid
// 11 parses nothing without it), then both versions (npm aliases, see
// package.json). Returns the window (close it when done) and the versions.
export async function loadMermaids() {
  const { JSDOM } = await import("jsdom");
  const dom = new JSDOM("<!DOCTYPE html><html><body></body></html>", { pretendToBeVisual: false });
  globalThis.window = dom.window;
  globalThis.document = dom.window.document;
  const versions = {};
  for (const key of ["mermaid10", "mermaid11"]) {
    const mermaid = (await import(key)).default;
    mermaid.initialize({ startOnLoad: false, logLevel: "fatal", securityLevel: "strict" });
    versions[key] = mermaid;
  }
  return { window: dom.window, versions };
}

// With --serve, a script answers many batches in one process: each line of
// stdin is a batch (a JSON array of texts) and gets one line of JSON on stdout,
// until stdin closes. The test helpers keep one such process per test run, so
// Node and both Mermaid versions load once, not once per batch. `answer`
// takes the parsed batch and returns its JSON-able answer; a line that is not
// a JSON array of strings gets {"error": message}.
export function serving() {
  return process.argv.includes("--serve");
}

export async function serve(answer) {
  const { createInterface } = await import("node:readline");
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    let texts;
    try {
      texts = JSON.parse(line);
    } catch (err) {
      writeStdout(JSON.stringify({ error: `not valid JSON: ${err.message}` }) + "\n");
      continue;
    }
    if (!Array.isArray(texts) || !texts.every((t) => typeof t === "string")) {
      writeStdout(JSON.stringify({ error: "a batch must be a JSON array of strings" }) + "\n");
      continue;
    }
    writeStdout(JSON.stringify(await answer(texts)) + "\n");
  }
}
