// Copy the htmx files the page serves from node_modules/ into static/vendor/ (git-ignored).
// Run by `make vendor` after `npm ci`; nothing third-party is committed, nothing comes from a CDN.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules", "htmx.org");
const target = join(root, "static", "vendor");

// htmx 4 ships its SSE extension inside the main package (dist/ext/hx-sse.js).
const files = {
  "dist/htmx.min.js": "htmx.min.js",
  "dist/ext/hx-sse.min.js": "hx-sse.min.js",
  "LICENSE": "htmx.LICENSE.txt",
};

mkdirSync(target, { recursive: true });
for (const [from, to] of Object.entries(files)) {
  copyFileSync(join(source, from), join(target, to));
}
const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
console.log(`vendored htmx.org ${version} into static/vendor/`);
