// Static server for the benchmark page: cross-origin isolated (COOP same-origin + COEP require-corp on every
// response, which WASM threads need: SharedArrayBuffer exists only in an isolated page and its workers).
//   /ort/...     onnxruntime-web's dist files (bench/web/node_modules/onnxruntime-web/dist)
//   /models/...  the ONNX graphs bench/real exported (bench/real/.cache/onnx)
//   /pkg/...     this repository's npm package as scripts/build.sh builds it (pool.mjs uses it)
//   /onnx-models/...  target/onnx-models (`cargo run --example onnx_models -- target/onnx-models --chains`)
//   /...         bench/web/page
// Files are streamed (BERT's graph is 418 MB). Only 127.0.0.1 is bound.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ORT_DIST = join(HERE, 'node_modules', 'onnxruntime-web', 'dist');
export const ONNX_CACHE = resolve(HERE, '..', 'real', '.cache', 'onnx');

export const PKG = resolve(HERE, '..', '..', 'pkg');

export const GENERATED = resolve(HERE, '..', '..', 'target', 'onnx-models');

const ROUTES = [['/ort/', ORT_DIST], ['/models/', ONNX_CACHE], ['/pkg/', PKG], ['/onnx-models/', GENERATED], ['/', join(HERE, 'page')]];
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.onnx': 'application/octet-stream',
};
const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

/** The file a URL path maps to, or null when it leaves its folder. */
function locate(urlPath) {
  const path = normalize(decodeURIComponent(urlPath));
  const [prefix, folder] = ROUTES.find(([p]) => path.startsWith(p));
  const file = join(folder, path.slice(prefix.length) || 'index.html');
  return file === folder || file.startsWith(folder + sep) ? file : null;
}

/** Starts the server on 127.0.0.1:`port` (0: any free port); resolves to the http.Server. */
export function serve(port = 0) {
  const server = createServer(async (req, res) => {
    const file = locate(new URL(req.url, 'http://x').pathname);
    const info = file && (await stat(file).catch(() => null));
    if (!info?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain', ...ISOLATION }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': 'no-store',
      ...ISOLATION,
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await serve(Number(process.argv[2] ?? 8081));
  console.log(`bench page at http://127.0.0.1:${server.address().port}/ (Ctrl-C to stop)`);
}
