// Fails when TypeScript modules import each other in a cycle (`make check` runs it).
//
// esbuild bundles a cycle without complaint, but then which module runs first depends on who
// imported whom first: the chat frame's modules (src/widget/) are layered instead, shared state
// in state.ts. Reads the relative (and @shared/) imports under src/ (the widget, the loader and
// src/shared/); `import type` is left out (it is gone at build time). The panel's front-end
// (inboxes/panel/frontend/dialogs/) still has cycles and is not checked yet.
//
//     node scripts/import-cycles.mjs

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIRS = [join(ROOT, "src")];
const IMPORT = /^\s*(?:import|export)\s+(type\s+)?(?:[^;]*?\sfrom\s+)?["']([^"']+)["']/gm;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : files(path);
    return /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [path] : [];
  });
}

function target(from, spec) {
  if (spec.startsWith("@shared/")) return join(ROOT, "src", "shared", spec.slice(8)) + ".ts";
  return spec.startsWith(".") ? resolve(dirname(from), spec) + ".ts" : null;
}

const graph = new Map();
for (const file of DIRS.flatMap(files)) {
  const deps = new Set();
  for (const [, typeOnly, spec] of readFileSync(file, "utf8").matchAll(IMPORT)) {
    const dep = typeOnly ? null : target(file, spec);
    if (dep) deps.add(dep);
  }
  graph.set(file, deps);
}

const cycles = [];
const seen = new Map(); // file → 1 on the current path, 2 done
const path = [];
function visit(file) {
  seen.set(file, 1);
  path.push(file);
  for (const dep of graph.get(file) || []) {
    if (seen.get(dep) === 1) cycles.push([...path.slice(path.indexOf(dep)), dep]);
    else if (!seen.has(dep) && graph.has(dep)) visit(dep);
  }
  path.pop();
  seen.set(file, 2);
}
for (const file of graph.keys()) if (!seen.has(file)) visit(file);

for (const cycle of cycles) console.error("import cycle:", cycle.map((f) => relative(ROOT, f)).join(" → "));
if (cycles.length) process.exit(1);
console.log(`no import cycles among ${graph.size} modules`);
