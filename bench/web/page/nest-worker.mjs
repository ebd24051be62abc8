// A worker that starts threads-worker.mjs as its own worker and forwards messages both ways (threads.mjs with
// NESTED=1: is a nested onnxruntime-web slower?).
const sub = new Worker('/threads-worker.mjs', { type: 'module' });
sub.onmessage = ({ data }) => self.postMessage(data);
self.onmessage = ({ data }) => sub.postMessage(data);
