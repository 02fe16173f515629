#!/usr/bin/env node
// Check diagram texts against the REAL Mermaid parsers (v10 and v11).
//
// stdin:  a JSON array of strings (diagram texts)
// stdout: ONE JSON array, same length/order as the input, each element
//         {"mermaid10": null | "error message", "mermaid11": null | "error message"}
//         (null = accepted by that version's `mermaid.parse`).
// stderr: anything Mermaid (or this script) logs; bad input is reported here
//         with exit code 2.
//
// Only parsing happens (no rendering); a jsdom window is installed as the
// global `window`/`document` because Mermaid's DOMPurify-based sanitisation
// needs a DOM (Mermaid 11 fails to parse anything without it).

import { Console } from "node:console";
import process from "node:process";

// --- 1. Keep stdout clean: everything except our final JSON goes to stderr.
// This must happen before Mermaid is imported, because Mermaid binds the
// console methods when it sets up its logger at module load time.
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
const stderrConsole = new Console({ stdout: process.stderr, stderr: process.stderr });
for (const method of ["log", "info", "debug", "warn", "error", "trace", "dir", "table"]) {
  console[method] = stderrConsole[method].bind(stderrConsole);
}

function fail(message) {
  process.stderr.write(`check.mjs: ${message}\n`);
  process.exitCode = 2;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function errorMessage(err) {
  let msg;
  if (err instanceof Error) msg = err.message || err.name || String(err);
  else if (err && typeof err === "object" && typeof err.message === "string") msg = err.message;
  else msg = String(err);
  msg = (msg ?? "").trim();
  return msg === "" ? "rejected by mermaid.parse (no error message)" : msg;
}

async function main() {
  let texts;
  try {
    texts = JSON.parse(await readStdin());
  } catch (err) {
    return fail(`stdin is not valid JSON: ${errorMessage(err)}`);
  }
  if (!Array.isArray(texts) || !texts.every((t) => typeof t === "string")) {
    return fail("stdin must be a JSON array of strings");
  }

  // --- 2. Minimal DOM shim (must exist before DOMPurify/Mermaid are loaded).
  const { JSDOM } = await import("jsdom");
  const dom = new JSDOM("<!DOCTYPE html><html><body></body></html>", { pretendToBeVisual: false });
  globalThis.window = dom.window;
  globalThis.document = dom.window.document;

  // --- 3. Load both Mermaid versions (npm aliases, see package.json).
  const versions = {};
  for (const key of ["mermaid10", "mermaid11"]) {
    const mermaid = (await import(key)).default;
    mermaid.initialize({ startOnLoad: false, logLevel: "fatal", securityLevel: "strict" });
    versions[key] = mermaid;
  }

  // --- 4. Parse. Mermaid resets its per-diagram config on every parse(), and
  // parse() is internally serialised, so sequential awaits are both safe and
  // fast (about a millisecond per text).
  const results = [];
  for (const text of texts) {
    const entry = {};
    for (const [key, mermaid] of Object.entries(versions)) {
      try {
        const ok = await mermaid.parse(text);
        entry[key] = ok === false ? "rejected by mermaid.parse (returned false)" : null;
      } catch (err) {
        entry[key] = errorMessage(err);
      }
    }
    results.push(entry);
  }

  writeStdout(JSON.stringify(results) + "\n");
  dom.window.close();
}

main().catch((err) => {
  fail(`internal error: ${err && err.stack ? err.stack : errorMessage(err)}`);
});
