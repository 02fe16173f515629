#!/usr/bin/env node
// What the REAL Mermaid parsers (v10 and v11) read from state diagrams.
//
// stdin:  a JSON array of strings (diagram texts)
// stdout: ONE JSON array, one element per text:
//         {"mermaid10": reading | "error message", "mermaid11": ...}
//         where a reading is {"states": [[id, parent], ...],
//                             "relations": [[from, to, label], ...]}
//         plus "title": the front matter's title as Mermaid 11 reads it.
//         (the "[*]" points read as "<parent>_start"/"<parent>_end", the top
//         level as "root"). check.mjs answers only "accepted or not"; this
//         shows texts that Mermaid accepts but reads differently.
// --serve: one batch per line of stdin, one answer per line of stdout (see
//         serve() in common.mjs).

import { loadMermaids, readStdin, serve, serving, writeStdout } from "./common.mjs";

function reading(db) {
  const states = [];
  const relations = [];
  const seen = new Set();
  const walk = (doc, parent) => {
    for (const item of doc || []) {
      if (item.stmt === "state") {
        const key = `${item.id}\u0000${parent}`;
        if (!seen.has(key)) {
          seen.add(key);
          states.push([item.id, parent]);
        }
        if (item.doc) walk(item.doc, item.id);
      } else if (item.stmt === "relation") {
        relations.push([item.state1.id, item.state2.id, item.description ?? ""]);
      } else if (item.stmt === "root") {
        walk(item.doc, parent);
      }
    }
  };
  walk(db.getRootDocV2().doc, "");
  return { states, relations };
}

// Mermaid keeps the front matter's title out of the diagram until it renders
// (which needs a real browser), so read it with the YAML reader Mermaid 11
// bundles, called the way its extractFrontMatter() calls it.
async function yamlReader() {
  const dist = new URL("./node_modules/mermaid11/dist/", import.meta.url);
  const core = await import("node:fs").then((fs) =>
    fs.readFileSync(new URL("mermaid.core.mjs", dist), "utf8"),
  );
  const found = core.match(/JSON_SCHEMA,\s*load\s*\}\s*from\s*"([^"]+)"/);
  if (!found) throw new Error("cannot find Mermaid 11's YAML reader");
  return import(new URL(found[1], dist).href);
}
const { JSON_SCHEMA, load } = await yamlReader();
const FRONT_MATTER = /^([^\S\n\r]*)-{3}\s*[\n\r](.*?)[\n\r]\1-{3}\s*[\n\r]+/s;
function title(text) {
  const match = text.match(FRONT_MATTER);
  if (!match) return null;
  const parsed = load(match[2], { schema: JSON_SCHEMA }) ?? {};
  return parsed.title ? parsed.title.toString() : null;
}

async function readAll(versions, texts) {
  const results = [];
  for (const text of texts) {
    const entry = {};
    try {
      entry.title = title(text);
    } catch (err) {
      entry.title = `YAML error: ${(err && err.message) || err}`;
    }
    for (const [key, mermaid] of Object.entries(versions)) {
      try {
        const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
        entry[key] = reading(diagram.db);
      } catch (err) {
        entry[key] = String((err && err.message) || err);
      }
    }
    results.push(entry);
  }
  return results;
}

if (serving()) {
  const { window, versions } = await loadMermaids();
  await serve((texts) => readAll(versions, texts));
  window.close();
} else {
  const texts = JSON.parse(await readStdin());
  const { window, versions } = await loadMermaids();
  writeStdout(JSON.stringify(await readAll(versions, texts)) + "\n");
  window.close();
}
