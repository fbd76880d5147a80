// Builds the storefront for each framework with esbuild:
//   dist/<fw>/server.js              classic script (IIFE) defining globalThis.render
//   dist/<fw>/assets/*.js, *.css     browser ESM with hashed names
//   dist/<fw>/.vite/manifest.json    Vite-format manifest written from esbuild's metafile
//   dist/<fw>/assets/*.br, *.gz      precompressed siblings of the text assets
//   dist/favicon.ico                 copied from public/
// Usage: node build.mjs            (npm run build)
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { precompress } from "./precompress.mjs";

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const FRAMEWORKS = ["preact", "react"];
const DEFINE = { "process.env.NODE_ENV": '"production"' };

function common(fw) {
  return {
    bundle: true,
    minify: true,
    target: "es2020",
    jsx: "automatic",
    jsxImportSource: fw,
    define: DEFINE,
    legalComments: "none",
    logLevel: "warning",
    absWorkingDir: ROOT,
  };
}

async function buildServer(fw, outdir) {
  const result = await esbuild.build({
    ...common(fw),
    entryPoints: [`src/${fw}/server.jsx`],
    outfile: path.join(outdir, "server.js"),
    format: "iife",
    platform: "browser",
    metafile: true,
  });
  return result.metafile;
}

async function buildClient(fw, outdir) {
  const result = await esbuild.build({
    ...common(fw),
    entryPoints: [`src/${fw}/client.jsx`],
    outdir,
    format: "esm",
    platform: "browser",
    splitting: true,
    entryNames: "assets/[name]-[hash]",
    chunkNames: "assets/chunk-[hash]",
    assetNames: "assets/[name]-[hash]",
    metafile: true,
  });
  return result.metafile;
}

// Vite's manifest: entries keyed by their source path, other chunks by "_" + file name.
function manifestFrom(metafile, outdir) {
  const rel = (p) => path.relative(outdir, path.join(ROOT, p)).split(path.sep).join("/");
  const chunkKey = (file) => "_" + path.basename(file);
  const keyOf = new Map();
  for (const [out, meta] of Object.entries(metafile.outputs)) {
    if (!out.endsWith(".js")) continue;
    keyOf.set(out, meta.entryPoint ? meta.entryPoint : chunkKey(out));
  }
  const manifest = {};
  for (const [out, meta] of Object.entries(metafile.outputs)) {
    if (!out.endsWith(".js")) continue;
    const entry = { file: rel(out) };
    if (meta.entryPoint) {
      entry.name = path.basename(meta.entryPoint).replace(/\.[^.]+$/, "");
      entry.src = meta.entryPoint;
      entry.isEntry = true;
    }
    const imports = meta.imports.filter((i) => i.kind === "import-statement").map((i) => keyOf.get(i.path));
    const dynamic = meta.imports.filter((i) => i.kind === "dynamic-import").map((i) => keyOf.get(i.path));
    if (imports.length > 0) entry.imports = imports;
    if (dynamic.length > 0) entry.dynamicImports = dynamic;
    if (meta.cssBundle) entry.css = [rel(meta.cssBundle)];
    manifest[keyOf.get(out)] = entry;
  }
  return manifest;
}

async function buildFramework(fw) {
  const outdir = path.join(ROOT, "dist", fw);
  rmSync(outdir, { recursive: true, force: true });
  const server = await buildServer(fw, outdir);
  const client = await buildClient(fw, outdir);
  const manifest = manifestFrom(client, outdir);
  mkdirSync(path.join(outdir, ".vite"), { recursive: true });
  writeFileSync(path.join(outdir, ".vite", "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  precompress(path.join(outdir, "assets"));
  for (const [file, meta] of Object.entries({ ...server.outputs, ...client.outputs })) {
    console.log(`${fw}: ${file} ${(meta.bytes / 1024).toFixed(1)} KiB`);
  }
}

for (const fw of FRAMEWORKS) await buildFramework(fw);
copyFileSync(path.join(ROOT, "public", "favicon.ico"), path.join(ROOT, "dist", "favicon.ico"));
