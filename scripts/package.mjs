// Turns wasm-pack's output in pkg/web into the npm package folder pkg/ (what `npm pack ./pkg` packs):
// - drops what wasm-pack writes for its own packaging (a `.gitignore` of `*`, which npm honours even over
//   "files", so the tarball came out empty; a package.json and README if present; the raw exports' .d.ts);
// - makes the .d.ts compile without lib esnext (see `patchDispose`);
// - writes pkg/package.json from npm/package.json with the version, repository and homepage of Cargo.toml (one
//   source for both registries), and copies the npm README, the Node entry and the onnxruntime-web adapter.
// Usage: node scripts/package.mjs (run by scripts/build.sh after wasm-pack).
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'pkg');
const web = join(pkg, 'web');
const dts = join(web, 'multimodel_perf.d.ts');

/** `[key] = "value"` of Cargo.toml's [package] section. */
function cargoPackage() {
  const toml = readFileSync(join(root, 'Cargo.toml'), 'utf8');
  const section = toml.split(/^\[/m).find((s) => s.startsWith('package]')) ?? '';
  return Object.fromEntries([...section.matchAll(/^([a-z-]+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
}

/**
 * wasm-bindgen declares `[Symbol.dispose](): void;` on every class. `Symbol.dispose` exists only in TypeScript's
 * esnext (disposable) lib, so a project on the default ES2022 + DOM libs fails to compile the package's types
 * (TS2339) unless it sets skipLibCheck. The glue adds the method at run time only where the engine has the
 * symbol (`if (Symbol.dispose) ...`), so the types now say the same: each class gets the method through an
 * interface that is `{ [Symbol.dispose](): void }` where the project's lib declares the symbol and `{}`
 * otherwise; `using` keeps working under lib esnext. `export {}` keeps the helper type private.
 */
function patchDispose(text) {
  const line = '    [Symbol.dispose](): void;\n';
  const classes = [];
  const out = text.replace(/^export class (\w+) \{\n(?:.*\n)*?^\}\n/gm, (body, name) => {
    if (!body.includes(line)) return body;
    classes.push(name);
    return `${body.replace(line, '')}export interface ${name} extends MaybeDisposable {}\n`;
  });
  if (classes.length === 0 || /Symbol\.dispose\]/.test(out)) {
    throw new Error(`unexpected [Symbol.dispose] declarations in ${dts} (patched classes: ${classes.join(', ') || 'none'})`);
  }
  return `${out}
/** \`[Symbol.dispose]()\` (same as \`free()\`) where the project's TypeScript lib declares \`Symbol.dispose\`. */
type MaybeDisposable = SymbolConstructor extends { readonly dispose: infer S extends symbol } ? { [K in S]: () => void } : {};
export {};
`;
}

for (const f of ['.gitignore', 'package.json', 'README.md', 'multimodel_perf_bg.wasm.d.ts']) rmSync(join(web, f), { force: true });
const text = readFileSync(dts, 'utf8');
if (!text.includes('type MaybeDisposable')) writeFileSync(dts, patchDispose(text));

const cargo = cargoPackage();
const manifest = JSON.parse(readFileSync(join(root, 'npm', 'package.json'), 'utf8'));
const out = { name: manifest.name, version: cargo.version, ...manifest };
if (cargo.repository) {
  out.repository = { type: 'git', url: `git+${cargo.repository.replace(/\.git$/, '')}.git` };
  out.homepage = cargo.homepage ?? `${cargo.repository.replace(/\.git$/, '')}#readme`;
} else {
  console.error('[package] warning: Cargo.toml has no `repository`, so package.json has no repository or homepage');
}
writeFileSync(join(pkg, 'package.json'), `${JSON.stringify(out, null, 2)}\n`);
copyFileSync(join(root, 'npm', 'README.md'), join(pkg, 'README.md'));
for (const f of ['node.js', 'onnxruntime-web.js', 'onnxruntime-web.d.ts', 'onnxruntime-web-worker.js']) copyFileSync(join(root, 'npm', f), join(pkg, f));
for (const f of manifest.files) {
  if (!existsSync(join(pkg, f))) throw new Error(`package.json "files" names ${f}, which the build did not produce`);
}
console.error(`[package] pkg/ is the npm package multimodel-perf@${cargo.version}: npm pack ./pkg`);
