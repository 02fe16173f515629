#!/usr/bin/env node
// Check diagram texts against the REAL Mermaid parsers (v10 and v11).
//
// stdin:  a JSON array of strings (diagram texts)
// stdout: ONE JSON array, same length/order as the input, each element
//         {"mermaid10": null | "error message", "mermaid11": null | "error message"}
//         (null = accepted by that version's `mermaid.parse`).
// stderr: anything Mermaid (or this script) logs; bad input is reported here
//         with exit code 2.
// --serve: one batch per line of stdin, one answer per line of stdout (see
//         serve() in common.mjs).
//
// Only parsing happens (no rendering); a jsdom window is installed as the
// global `window`/`document` because Mermaid's DOMPurify-based sanitisation
// needs a DOM (Mermaid 11 fails to parse anything without it).

import process from "node:process";

import { loadMermaids, readStdin, serve, serving, writeStdout } from "./common.mjs";

function fail(message) {
  process.stderr.write(`check.mjs: ${message}\n`);
  process.exitCode = 2;
}

function errorMessage(err) {
  let msg;
  if (err instanceof Error) msg = err.message || err.name || String(err);
  else if (err && typeof err === "object" && typeof err.message === "string") msg = err.message;
  else msg = String(err);
  msg = (msg ?? "").trim();
  return msg === "" ? "rejected by mermaid.parse (no error message)" : msg;
}

// Mermaid resets its per-diagram config on every parse(), and parse() is
// internally serialised, so sequential awaits are both safe and fast (about a
// millisecond per text).
async function check(versions, texts) {
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
  return results;
}

async function main() {
  if (serving()) {
    const { window, versions } = await loadMermaids();
    await serve((texts) => check(versions, texts));
    window.close();
    return;
  }
  let texts;
  try {
    texts = JSON.parse(await readStdin());
  } catch (err) {
    return fail(`stdin is not valid JSON: ${errorMessage(err)}`);
  }
  if (!Array.isArray(texts) || !texts.every((t) => typeof t === "string")) {
    return fail("stdin must be a JSON array of strings");
  }

  // --- 1. A DOM and both Mermaid versions (common.mjs; it keeps stdout clean).
  const { window, versions } = await loadMermaids();

  // --- 2. Parse.
  const results = await check(versions, texts);
  writeStdout(JSON.stringify(results) + "\n");
  window.close();
}

main().catch((err) => {
  fail(`internal error: ${err && err.stack ? err.stack : errorMessage(err)}`);
});
