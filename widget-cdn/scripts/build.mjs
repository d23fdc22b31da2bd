// Builds the widget into dist/ and the operator panel into inboxes/static/panel/dist/.
//
// Widget, dist/: loader.js (the one name sites embed, never hashed), widget.<hash>.js (the chat
// inside the frame) and emoji.<hash>.js (the picker's list, loaded only when the picker opens),
// plus dist/manifest.json mapping logical names to built files.
//
// <hash> = the first 12 hex digits of the SHA-256 of the built file's bytes, so a name changes
// exactly when its content does and hashed files can be cached forever. The widget embeds the
// emoji chunk's hashed name, so it is built after it. Output is deterministic: the same sources
// and esbuild version give the same bytes (tests/widget checks budgets on them).
//
// Panel, inboxes/static/panel/dist/ (Django serves it as static files under panel/dist/):
// panel.<hash>.js (every panel page), dialogs.<hash>.js (the Dialogs page), inbox.<hash>.js
// (an inbox's install page) from inboxes/panel/frontend/, and a manifest.json that the
// `panel_script` template tag reads (inboxes/templatetags/panel_assets.py).

import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { EMOJI_GROUPS } from "./emoji.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");
const PANEL_SRC = join(ROOT, "..", "inboxes", "panel", "frontend");
const PANEL_DIST = join(ROOT, "..", "inboxes", "static", "panel", "dist");
const PANEL_ENTRIES = { "panel.js": "hub/main.ts", "dialogs.js": "dialogs/main.ts", "inbox.js": "inbox/main.ts" };
const TARGET = "es2019";

const common = {
  bundle: true,
  minify: true,
  format: "iife",
  target: TARGET,
  platform: "browser",
  charset: "utf8",
  legalComments: "none",
  write: false,
  logLevel: "warning",
};

export function contentHash(bytes) {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 12);
}

async function css(file) {
  const source = await readFile(join(ROOT, "src", file), "utf8");
  const out = await esbuild.transform(source, { loader: "css", minify: true, target: TARGET });
  return out.code.trim();
}

async function bundle(entry, define, base = join(ROOT, "src")) {
  // The panel's sources lie outside: tsconfig.json's `paths` (@shared/*) serve them too.
  const tsconfig = base === PANEL_SRC ? { tsconfig: join(ROOT, "tsconfig.json") } : {};
  const result = await esbuild.build({ ...common, ...tsconfig, entryPoints: [join(base, entry)], define });
  return Buffer.from(result.outputFiles[0].contents);
}

async function emit(manifest, logical, bytes, hashed, dist = DIST) {
  const [stem, ext] = [logical.replace(/\.js$/, ""), "js"];
  const name = hashed ? `${stem}.${contentHash(bytes)}.${ext}` : logical;
  await writeFile(join(dist, name), bytes);
  manifest[logical] = name;
  return name;
}

async function writeManifest(dist, manifest) {
  const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b)));
  await writeFile(join(dist, "manifest.json"), JSON.stringify(sorted, null, 2) + "\n");
  for (const [logical, name] of Object.entries(sorted)) {
    const size = (await readFile(join(dist, name))).length;
    console.log(`${logical.padEnd(10)} -> ${name.padEnd(26)} ${String(size).padStart(7)} B`);
  }
}

async function fresh(dist) {
  await rm(dist, { recursive: true, force: true });
  await mkdir(dist, { recursive: true });
}

async function buildPanel() {
  await fresh(PANEL_DIST);
  const manifest = {};
  for (const [logical, entry] of Object.entries(PANEL_ENTRIES)) {
    await emit(manifest, logical, await bundle(entry, {}, PANEL_SRC), true, PANEL_DIST);
  }
  await writeManifest(PANEL_DIST, manifest);
}

async function main() {
  await fresh(DIST);
  const manifest = {};

  const emoji = await bundle("emoji.ts", { __EMOJI__: JSON.stringify(EMOJI_GROUPS) });
  const emojiName = await emit(manifest, "emoji.js", emoji, true);

  const widget = await bundle("widget/main.ts", {
    __EMOJI_FILE__: JSON.stringify(emojiName),
    __WIDGET_CSS__: JSON.stringify(await css("widget/widget.css")),
  });
  await emit(manifest, "widget.js", widget, true);

  const loader = await bundle("loader.ts", { __LOADER_CSS__: JSON.stringify(await css("loader.css")) });
  await emit(manifest, "loader.js", loader, false);

  await writeManifest(DIST, manifest);
  await buildPanel();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
