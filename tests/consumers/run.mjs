// The npm package as its users get it: `npm pack ./pkg` (after scripts/build.sh), the tarball installed into
// scratch projects in a temp folder (one per consumer, each with its own node_modules), and each project
// written from the package README's own code blocks (the ones marked `<!-- consumer-test: APPS FILE -->`),
// built with the README's commands and run: pages in headless Chromium, scripts in Node, types with tsc.
// Prints the package sizes and one PASS/FAIL line per consumer; exits 1 when any fails.
// Usage: node tests/consumers/run.mjs [consumer ...]   (MMPERF_KEEP_CONSUMERS=1 keeps the temp folder)
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkgDir = join(root, 'pkg');
const readme = readFileSync(join(root, 'npm', 'README.md'), 'utf8');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const STRATEGIES = ['parallel', 'sequential', 'batched', 'parallel-split-threads', 'batched-split-threads', 'sequential-unload'];

// The bundlers each scratch project installs (Vite: the current major and the one before).
const DEPS = {
  node: {},
  ts: { typescript: '^7' },
  vite8: { vite: '^8' },
  vite7: { vite: '^7' },
  webpack: { webpack: '^5', 'webpack-cli': '^7' },
  esbuild: { esbuild: '^0.28' },
  plain: {},
};
// The README's build commands, run as written (`npx` resolves the project's own bin).
const BUILD = {
  vite8: 'npx vite build',
  vite7: 'npx vite build',
  webpack: 'npx webpack --mode production --entry ./main.js',
  esbuild: 'npx esbuild main.js --bundle --format=esm --outdir=dist && cp node_modules/multimodel-perf/web/multimodel_perf_bg.wasm dist/',
};

/** Runs `cmd` (through sh) in `cwd` with the project's node_modules/.bin first on PATH. */
function sh(cmd, cwd, { timeoutMs = 180_000 } = {}) {
  return new Promise((resolve) => {
    const env = { ...process.env, PATH: `${join(cwd, 'node_modules', '.bin')}:${process.env.PATH}`, NO_COLOR: '1' };
    const child = spawn('sh', ['-c', cmd.replace(/\bnpx /g, '')], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

function must(cond, message) {
  if (!cond) throw new Error(message);
}

async function mustRun(cmd, cwd, opts) {
  const r = await sh(cmd, cwd, opts);
  must(r.code === 0, `\`${cmd}\` exited with ${r.code}:\n${(r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n')}`);
  return r;
}

/** The README's marked code blocks: [{ apps, file, code }]. */
function readmeFiles() {
  const blocks = [...readme.matchAll(/<!-- consumer-test: (\S+) (\S+) -->\n```\w*\n([\s\S]*?)```/g)];
  return blocks.map(([, apps, file, code]) => ({ apps: apps.split(','), file, code }));
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// ---------------------------------------------------------------------------------------------- the package

/** `npm pack` of pkg/: what it holds, its sizes, and the README's stated size against the real one. */
async function pack(dest) {
  // `npm pack` in the repository root packs the same build: its manifest is the package's with every entry
  // point under pkg/, and its tarball holds the one .wasm.
  const atRoot = await mustRun('npm pack --dry-run --json', root);
  const rootFiles = JSON.parse(atRoot.stdout.slice(atRoot.stdout.indexOf('[')))[0].files.map((f) => f.path);
  const rootWasm = rootFiles.filter((f) => f.endsWith('.wasm'));
  must(rootWasm.length === 1 && rootWasm[0] === 'pkg/web/multimodel_perf_bg.wasm',
    `\`npm pack\` in the repository root should hold pkg/web/multimodel_perf_bg.wasm, found ${JSON.stringify(rootWasm)}`);
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const built = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const underPkg = (v) => (typeof v === 'string' ? v.replace(/^\.\/(?!package\.json$)/, './pkg/')
    : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, underPkg(x)])));
  for (const k of ['name', 'version', 'engines', 'main', 'module', 'browser', 'types', 'exports']) {
    const want = ['name', 'version', 'engines'].includes(k) ? built[k] : underPkg(built[k]);
    must(JSON.stringify(rootManifest[k]) === JSON.stringify(want),
      `the root package.json's ${k} differs from pkg/package.json's: ${JSON.stringify(rootManifest[k])} vs ${JSON.stringify(want)}`);
  }
  const r = await mustRun(`npm pack ${JSON.stringify(pkgDir)} --pack-destination ${JSON.stringify(dest)} --json`, root);
  const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
  const files = info.files.map((f) => f.path).sort();
  const wasm = files.filter((f) => f.endsWith('.wasm'));
  must(wasm.length === 1, `one .wasm expected in the package, found ${JSON.stringify(wasm)}`);
  for (const f of ['package.json', 'README.md', 'node.js', 'web/multimodel_perf.js', 'web/multimodel_perf.d.ts']) {
    must(files.includes(f), `${f} missing from the package: ${files.join(', ')}`);
  }
  must(files.some((f) => f.startsWith('web/snippets/')), 'web/snippets missing from the package');
  must(!files.some((f) => /(^|\/)\.gitignore$|\.tgz$|bundler\//.test(f)), `unexpected files in the package: ${files.join(', ')}`);
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  must(manifest.engines?.node && manifest.exports?.['./multimodel_perf_bg.wasm'], 'package.json lacks engines or the .wasm export');
  if (!manifest.repository || !manifest.homepage) console.log('WARN  package.json has no repository/homepage: set `repository` in Cargo.toml');
  const bytes = readFileSync(join(pkgDir, wasm[0]));
  const gz = gzipSync(bytes, { level: 9 }).length;
  console.log(`package: ${info.filename} ${info.size} bytes packed (${info.entryCount} files, ${info.unpackedSize} bytes unpacked); ${wasm[0]} ${bytes.length} bytes, ${gz} bytes gzip -9`);
  // The README states the .wasm size; keep it within 10 % of what ships.
  const stated = readme.match(/WebAssembly module for every environment: ([\d,]+) kB, ([\d,]+) kB with gzip -9/);
  must(stated, 'the README no longer states the .wasm size in the expected words');
  const [raw, gzip] = [stated[1], stated[2]].map((s) => Number(s.replace(/,/g, '')) * 1000);
  must(Math.abs(raw / bytes.length - 1) < 0.1 && Math.abs(gzip / gz - 1) < 0.1,
    `the README says ${stated[1]} kB / ${stated[2]} kB gzip, the package has ${(bytes.length / 1000).toFixed(0)} kB / ${(gz / 1000).toFixed(0)} kB`);
  return join(dest, info.filename);
}

/** One scratch project per consumer, its files from the README, installed (in parallel) from the tarball. */
async function scaffold(tmp, tarball, names) {
  const files = readmeFiles();
  for (const name of names) {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    const dependencies = { 'multimodel-perf': `file:${tarball}`, ...DEPS[name] };
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module', dependencies }, null, 2));
    for (const f of files.filter((b) => b.apps.includes(name))) {
      mkdirSync(dirname(join(dir, f.file)), { recursive: true });
      writeFileSync(join(dir, f.file), f.code);
    }
  }
  const queue = [...names];
  const worker = async () => {
    for (let name; (name = queue.shift());) {
      await mustRun('npm install --no-audit --no-fund --prefer-offline --loglevel=error', join(tmp, name), { timeoutMs: 300_000 });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}

// ------------------------------------------------------------------------------------------------ the checks

/** Opens `url`, collects the example's console lines, and checks what the README example prints. */
async function checkPage(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const lines = [];
  const errors = [];
  const wasm = [];
  page.on('console', (m) => { if (m.type() === 'log') lines.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => {
    if (r.url().endsWith('.wasm')) wasm.push(`${r.status()} ${r.headers()['content-type']}`);
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  try {
    await page.goto(url);
    const deadline = Date.now() + 90_000;
    const pool = () => lines.filter((l) => / on \S+, [\d.]+ ms \(predicted/.test(l));
    while (pool().length < 2 && errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    must(errors.length === 0, `page errors: ${errors.join('; ')}`);
    must(wasm.length === 1 && wasm[0] === '200 application/wasm', `the .wasm responses: ${JSON.stringify(wasm)}`);
    const caps = lines.find((l) => /^WebGPU: .*, WebNN contexts: \d+, WASM SIMD: (true|false)$/.test(l));
    must(caps?.endsWith('WASM SIMD: true'), `detectCapabilities: ${caps}`);
    const p = lines.map((l) => l.match(/^parallel: ([\d.]+) ms, (\d+) MB$/)).find(Boolean);
    must(p && Number(p[1]) > 0 && Number(p[2]) > 0, `predict: ${p?.[0]}`);
    const r = lines.map((l) => l.match(/^recommended: (\S+) \(.+\)$/)).find(Boolean);
    must(r && STRATEGIES.includes(r[1]), `recommend: ${r?.[0]}`);
    const runs = pool().map((l) => l.match(/^(\S+): (\S+) on (\S+), ([\d.]+) ms \(predicted ([\d.]+) ms\)$/));
    must(runs.length === 2 && runs.every((m) => m && m[2] === 'ok' && m[3] === 'wasm' && Number(m[4]) > 0 && Number(m[5]) > 0),
      `pool run: ${pool().join(' | ') || 'no result'}`);
    return `${r[1]}; pool ${runs.map((m) => `${m[1]} ${m[4]} ms`).join(', ')}`;
  } finally {
    await context.close();
  }
}

async function servedPage(browser, folder) {
  const server = await serve(folder, 0);
  try {
    return await checkPage(browser, `http://127.0.0.1:${server.address().port}/`);
  } finally {
    server.close();
  }
}

/** `npx vite` (the README's dev command) on a free port, until it prints its URL; then the page. */
async function viteDev(browser, dir) {
  const port = await freePort();
  const env = { ...process.env, PATH: `${join(dir, 'node_modules', '.bin')}:${process.env.PATH}`, NO_COLOR: '1' };
  const child = spawn('vite', ['--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  try {
    const deadline = Date.now() + 60_000;
    while (!out.includes(`:${port}/`) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    must(out.includes(`:${port}/`), `vite did not start:\n${out}`);
    return await checkPage(browser, `http://127.0.0.1:${port}/`);
  } finally {
    child.kill();
  }
}

async function built(browser, dir, name) {
  must(readme.includes(BUILD[name]), `the README no longer says \`${BUILD[name]}\``);
  await mustRun(BUILD[name], dir);
  // webpack and esbuild: the README's page goes next to the bundle (written after the build, as there).
  if (name === 'webpack' || name === 'esbuild') {
    const page = readmeFiles().find((f) => f.file === 'dist/index.html');
    writeFileSync(join(dir, 'dist', 'index.html'), page.code);
  }
  must(readdirSync(join(dir, 'dist')).length > 0, 'empty dist/');
  return servedPage(browser, join(dir, 'dist'));
}

async function node(dir) {
  const quick = await mustRun('node quickstart.mjs', dir);
  must(quick.stderr === '' && /latency/.test(quick.stdout), `quickstart printed: ${quick.stdout}${quick.stderr}`);
  const esm = await mustRun('node app.mjs', dir);
  const p = esm.stdout.match(/^parallel: ([\d.]+) ms, (\d+) MB$/m);
  const r = esm.stdout.match(/^recommended: (\S+)$/m);
  must(esm.stderr === '' && p && Number(p[1]) > 0 && Number(p[2]) > 0 && STRATEGIES.includes(r?.[1]), `app.mjs printed: ${esm.stdout}${esm.stderr}`);
  // The README's own-model recipe reads model.onnx: a 2-layer BERT-style graph built by the Rust tests.
  writeFileSync(join(dir, 'model.onnx'), readFileSync(join(root, 'tests', 'data', 'onnx', 'bert-2layer.onnx')));
  const own = await mustRun('node describe.mjs', dir);
  const d = own.stdout.match(/^my-encoder: ([\d.]+) M parameters, ([\d.]+) GFLOP per run$/m);
  const s = own.stdout.match(/^sequential with resnet-50: ([\d.]+) ms$/m);
  must(own.stderr === '' && d && Number(d[1]) > 0 && Number(d[2]) > 0 && Number(s?.[1]) > 0, `describe.mjs printed: ${own.stdout}${own.stderr}`);
  const cjs = await mustRun('node app.cjs', dir);
  const rc = cjs.stdout.match(/^recommended: (\S+)$/m);
  must(cjs.stderr === '' && STRATEGIES.includes(rc?.[1]), `app.cjs printed: ${cjs.stdout}${cjs.stderr}`);
  // What the README says in passing: the .wasm's exported path, init() with its bytes, 'multimodel-perf/web'.
  const resolve = "import.meta.resolve('multimodel-perf/multimodel_perf_bg.wasm')";
  must(readme.includes(resolve) && readme.includes('`multimodel-perf/web`'), 'the README no longer names the .wasm export or /web');
  writeFileSync(join(dir, 'bytes.mjs'), `import { readFile } from 'node:fs/promises';
import init, { listModels } from 'multimodel-perf/web';
await init({ module_or_path: await readFile(new URL(${resolve})) });
console.log(\`models: \${listModels().length}\`);
`);
  const bytes = await mustRun('node bytes.mjs', dir);
  const n = bytes.stdout.match(/^models: (\d+)$/m);
  must(bytes.stderr === '' && Number(n?.[1]) > 0, `bytes.mjs printed: ${bytes.stdout}${bytes.stderr}`);
  return `import: ${p[1]} ms, ${r[1]}; require: ${rc[1]}; /web with the exported .wasm's bytes: ${n[1]} models`;
}

/**
 * tsc --strict on the README's app.ts: the project's TypeScript (the current major) with the default libs of an
 * ES2022 target, the explicit `--lib es2022,dom` and bundler resolution; the repository's TypeScript 5 once.
 */
async function ts(dir) {
  const versions = [];
  for (const flags of ['--target es2022 --module nodenext', '--target es2022 --lib es2022,dom --module nodenext', '--target es2022 --module esnext --moduleResolution bundler']) {
    await mustRun(`tsc --strict --noEmit ${flags} app.ts`, dir);
  }
  const repoTsc = join(root, 'node_modules', '.bin', 'tsc');
  await mustRun(`${repoTsc} --strict --noEmit --target es2022 --lib es2022,dom --module nodenext app.ts`, dir);
  for (const tsc of ['tsc', repoTsc]) versions.push((await mustRun(`${tsc} --version`, dir)).stdout.trim());
  // As the README says: with lib esnext the classes are Disposable.
  writeFileSync(join(dir, 'using.ts'), "import { MultiModelPredictor } from 'multimodel-perf';\nexport function f(): number {\n  using p = new MultiModelPredictor();\n  return p.predictMultiModelPerformance([{ model_name: 'gpt2' }]).totalMetrics.combinedLatency;\n}\n");
  await mustRun('tsc --strict --noEmit --target es2022 --lib esnext,dom --module nodenext using.ts', dir);
  // The types are really read: a wrong use of a result fails.
  writeFileSync(join(dir, 'wrong.ts'), `${readFileSync(join(dir, 'app.ts'), 'utf8')}\nconst wrong: number = p.totalMetrics.combinedLatency.toFixed(1);\n`);
  const r = await sh('tsc --strict --noEmit --target es2022 --module nodenext wrong.ts', dir);
  must(r.code !== 0 && /TS2322/.test(r.stdout), `a type error went unnoticed: ${r.stdout}`);
  return versions.join(', ');
}

// ------------------------------------------------------------------------------------------------------ main

const CONSUMERS = {
  node: (_, dir) => node(dir),
  ts: (_, dir) => ts(dir),
  'vite8 dev': (b, dir) => viteDev(b, dir),
  'vite8 build': (b, dir) => built(b, dir, 'vite8'),
  'vite7 dev': (b, dir) => viteDev(b, dir),
  'vite7 build': (b, dir) => built(b, dir, 'vite7'),
  webpack: (b, dir) => built(b, dir, 'webpack'),
  esbuild: (b, dir) => built(b, dir, 'esbuild'),
  plain: (b, dir) => servedPage(b, dir),
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CONSUMERS);
const t0 = Date.now();
const tmp = mkdtempSync(join(tmpdir(), 'mmperf-consumers-'));
const results = [];
let browser;
try {
  const tarball = await pack(tmp);
  const projects = [...new Set(wanted.map((c) => c.split(' ')[0]))];
  await scaffold(tmp, tarball, projects);
  console.log(`packed and installed into ${projects.length} projects in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  for (const name of wanted) {
    const t = Date.now();
    try {
      const detail = await CONSUMERS[name](browser, join(tmp, name.split(' ')[0]));
      results.push(true);
      console.log(`PASS  ${name.padEnd(12)} ${((Date.now() - t) / 1000).toFixed(1).padStart(5)} s  ${detail}`);
    } catch (e) {
      results.push(false);
      console.log(`FAIL  ${name.padEnd(12)} ${((Date.now() - t) / 1000).toFixed(1).padStart(5)} s  ${e.message}`);
    }
  }
} catch (e) {
  results.push(false);
  console.log(`FAIL  package: ${e.message}`);
} finally {
  await browser?.close();
  if (process.env.MMPERF_KEEP_CONSUMERS === '1') console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
const failed = results.filter((ok) => !ok).length;
console.log(`consumers: ${results.length - failed} passed, ${failed} failed, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
