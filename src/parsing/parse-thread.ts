/**
 * A parse thread (started by parse-pool.ts): runs one job's parsing at a time, off the process's event loop. The
 * pool stops it with `terminate()` when a job goes over its budget, which interrupts even a regex mid-match.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileParseItems, runParseItems, type ParseItem } from './parse-job.js';

export interface ParseRequest {
  id: number;
  items: ParseItem[];
  /** Only compile the templates (a submission's check), do not parse. */
  compileOnly?: boolean;
}

export type ParseReply = { id: number; ok: true; result: Record<string, unknown> } | { id: number; ok: false; error: { name: string; message: string } };

const port = parentPort!;
const trace = new Int32Array((workerData as { trace: SharedArrayBuffer }).trace);

port.on('message', (req: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = { id: req.id, ok: true, result: req.compileOnly ? compileParseItems(req.items) : runParseItems(req.items, trace) };
  } catch (e) {
    const err = e as Error;
    reply = { id: req.id, ok: false, error: { name: err.name || 'Error', message: err.message ?? String(e) } };
  }
  port.postMessage(reply);
});
port.postMessage('ready');
