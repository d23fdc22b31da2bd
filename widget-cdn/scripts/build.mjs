// Builds dist/: loader.js (the one name sites embed, never hashed), widget.<hash>.js (the chat
// inside the frame) and emoji.<hash>.js (the picker's list, loaded only when the picker opens),
// plus dist/manifest.json mapping logical names to built files.
//
// <hash> = the first 12 hex digits of the SHA-256 of the built file's bytes, so a name changes
// exactly when its content does and hashed files can be cached forever. The widget embeds the
// emoji chunk's hashed name, so it is built after it. Output is deterministic: the same sources
// and esbuild version give the same bytes (tests/widget checks budgets on them).

import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { EMOJI_GROUPS } from "./emoji.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");
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

async function bundle(entry, define) {
  const result = await esbuild.build({ ...common, entryPoints: [join(ROOT, "src", entry)], define });
  return Buffer.from(result.outputFiles[0].contents);
}

async function emit(manifest, logical, bytes, hashed) {
  const [stem, ext] = [logical.replace(/\.js$/, ""), "js"];
  const name = hashed ? `${stem}.${contentHash(bytes)}.${ext}` : logical;
  await writeFile(join(DIST, name), bytes);
  manifest[logical] = name;
  return name;
}

async function main() {
  await rm(DIST, { recursive: true, force: true });
  await mkdir(DIST, { recursive: true });
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

  const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b)));
  await writeFile(join(DIST, "manifest.json"), JSON.stringify(sorted, null, 2) + "\n");
  for (const [logical, name] of Object.entries(sorted)) {
    const size = (await readFile(join(DIST, name))).length;
    console.log(`${logical.padEnd(10)} -> ${name.padEnd(26)} ${String(size).padStart(7)} B`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
