// Builds the front-end sources (static/src) and the pinned npm packages into static/dist:
// every output file carries a content hash in its name, and static/dist/manifest.json maps the
// logical names the templates use (app.css, app.js, ...) to those files and their SRI hashes.
// The manifest also records a hash of every source, so a Python test can tell that the committed
// build is stale without node. Run through `make assets` (npm ci, then this script).
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SRC = path.join(ROOT, "static/src");
const DIST = path.join(ROOT, "static/dist");
const MODULES = path.join(ROOT, "node_modules");
const FONT_PACKAGE = path.join(MODULES, "@fontsource/noto-sans-jp");
const FONT_WEIGHTS = [400, 700];

const read = (file) => fs.readFileSync(file);
const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const integrity = (data) => "sha384-" + createHash("sha384").update(data).digest("base64");
const rel = (file) => path.relative(ROOT, file).split(path.sep).join("/");
const sourcesIn = (dir, ext) =>
  fs.readdirSync(dir).filter((name) => name.endsWith(ext)).sort().map((name) => path.join(dir, name));

const manifest = { files: {}, sources: {} };

function emit(logical, data) {
  // app.css -> app.<hash>.css (vendor/sortable.min.js -> vendor/sortable.min.<hash>.js)
  const ext = path.extname(logical);
  const hashed = `${logical.slice(0, -ext.length)}.${sha256(data).slice(0, 10)}${ext}`;
  fs.mkdirSync(path.dirname(path.join(DIST, hashed)), { recursive: true });
  fs.writeFileSync(path.join(DIST, hashed), data);
  manifest.files[logical] = { path: hashed, integrity: integrity(data) };
  return hashed;
}

function bundle(files, separator) {
  return Buffer.from(files.map((file) => `/* ${rel(file)} */\n${read(file).toString("utf8").trim()}\n`).join(separator));
}

fs.rmSync(DIST, { recursive: true, force: true });
fs.mkdirSync(DIST, { recursive: true });

// Self-hosted Noto Sans JP: woff2 only (every browser the app supports reads it), split by
// unicode-range so a page downloads only the pieces its characters need.
const fontCss = [];
for (const weight of FONT_WEIGHTS) {
  const css = read(path.join(FONT_PACKAGE, `${weight}.css`)).toString("utf8");
  fontCss.push(css.replace(/src: url\(\.\/files\/([^)]+)\.woff2\) format\('woff2'\)(, url\([^)]+\) format\('woff'\))?/g,
    (_, stem) => `src: url(${emit(`fonts/${stem}.woff2`, read(path.join(FONT_PACKAGE, "files", `${stem}.woff2`)))}) format('woff2')`));
}
emit("fonts.css", Buffer.from(fontCss.join("\n")));
for (const [name, file] of [["noto-sans-jp", path.join(FONT_PACKAGE, "LICENSE")]]) {
  fs.mkdirSync(path.join(DIST, "licenses"), { recursive: true });
  fs.copyFileSync(file, path.join(DIST, "licenses", `${name}.txt`));
}

// The design system: the Digital Agency's tokens first, then our CSS in file-name order.
emit("app.css", bundle([path.join(MODULES, "@digital-go-jp/design-tokens/dist/tokens.css"), ...sourcesIn(path.join(SRC, "css"), ".css")], "\n"));

// Our scripts, each an IIFE, in file-name order; vendored libraries as their own files.
emit("app.js", bundle(sourcesIn(path.join(SRC, "js"), ".js"), ";\n"));
emit("vendor/sortable.min.js", read(path.join(MODULES, "sortablejs/Sortable.min.js")));

// What the build was made from: every file under static/src and the exact package versions.
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))
  .flatMap((entry) => entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)]);
for (const file of [path.join(ROOT, "package-lock.json"), ...walk(SRC)]) {
  manifest.sources[rel(file)] = sha256(read(file));
}
fs.writeFileSync(path.join(DIST, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`static/dist: ${Object.keys(manifest.files).length} files from ${Object.keys(manifest.sources).length} sources`);
