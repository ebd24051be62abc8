// `prepack` of the repository root, which is the npm package: its entry points and "files" are the build in
// pkg/ (scripts/build.sh), so a pack without that build would ship no .wasm. Builds pkg/ when its .wasm is
// missing (installing the toolchain first, as `npm run build` does), then checks that every file the manifest
// lists exists. `npm run build` after a source change refreshes a stale build; this only fills a missing one.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const wasm = manifest.files.find((f) => f.endsWith('.wasm'));
if (!existsSync(join(root, wasm))) {
  console.error(`[prepack] ${wasm} is missing: building the package (scripts/setup.sh, scripts/build.sh)`);
  for (const script of ['scripts/setup.sh', 'scripts/build.sh']) {
    execFileSync('bash', [script], { cwd: root, stdio: 'inherit' });
  }
}
const missing = manifest.files.filter((f) => !existsSync(join(root, f)));
if (missing.length) {
  console.error(`[prepack] package.json "files" names what the build did not produce: ${missing.join(', ')}`);
  process.exit(1);
}
