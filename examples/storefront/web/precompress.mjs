// Writes precompressed siblings (name.br, name.gz) of the client's text assets, which the
// server sends to clients that accept them (hiver-static); nothing is compressed per request.
// Usage: node precompress.mjs      (build.mjs runs it after each build)
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const TEXT = /\.(js|mjs|css|svg|json|html|txt|map)$/;

export function precompress(assetsDir) {
  for (const name of readdirSync(assetsDir)) {
    if (!TEXT.test(name)) continue;
    const file = path.join(assetsDir, name);
    const bytes = readFileSync(file);
    const br = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
    writeFileSync(file + ".br", br);
    writeFileSync(file + ".gz", gzipSync(bytes, { level: 9 }));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.dirname(fileURLToPath(import.meta.url));
  for (const fw of ["preact", "react"]) precompress(path.join(root, "dist", fw, "assets"));
}
