// A render thread that says it is ready and then never answers: it spins on the first request, as a render stuck
// in a step QuickJS cannot interrupt would. test/integration/template-sandbox.test.ts proves the pool's watchdog
// with it.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', () => {
  for (;;) {
    // never answers
  }
});
parentPort.postMessage({ id: 0, ok: true, text: 'ready' });
