import { parentPort, workerData } from 'node:worker_threads';
import { TemplateError, TemplateLimitError, type RenderLimits } from './errors.js';
import { JinjaSandbox } from './sandbox.js';

/**
 * The render thread (src/rendering/pool.ts starts it): one warm QuickJS sandbox, one render at a time. It holds
 * nothing of the process but the limits it was started with; the pool terminates it when a render overruns.
 */

export interface RenderRequest {
  id: number;
  template: string;
  /** The context as JSON text (what crosses into the sandbox anyway). */
  contextJson: string;
}

export type RenderReply =
  | { id: number; ok: true; text: string }
  | { id: number; ok: false; kind: 'template'; message: string }
  | { id: number; ok: false; kind: 'limit'; limit: TemplateLimitError['limit']; message: string };

const sandbox = new JinjaSandbox(workerData as RenderLimits);
const port = parentPort;
if (!port) throw new Error('render-worker runs as a worker thread');

port.on('message', (req: RenderRequest) => {
  let reply: RenderReply;
  try {
    reply = { id: req.id, ok: true, text: sandbox.render(req.template, JSON.parse(req.contextJson) as Record<string, unknown>) };
  } catch (e) {
    if (e instanceof TemplateLimitError) reply = { id: req.id, ok: false, kind: 'limit', limit: e.limit, message: e.message };
    else if (e instanceof TemplateError) reply = { id: req.id, ok: false, kind: 'template', message: e.message };
    else reply = { id: req.id, ok: false, kind: 'template', message: `the renderer failed: ${(e as Error).message}` };
  }
  port.postMessage(reply);
});
// Loading the engine is paid at start, not by the first job.
sandbox.render('', {});
port.postMessage({ id: 0, ok: true, text: 'ready' } satisfies RenderReply);
