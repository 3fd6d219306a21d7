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

/** Loops, conditionals, macros, filters, tests, operators and string methods: what real templates run. */
const WARM_UP_TEMPLATE = [
  '{% macro intf(i, pad=1) -%}interface {{ i.name|upper }}{{ " " * pad }}{%- endmacro %}',
  '{% set ns = namespace(n=0) %}{% for i in items|sort(attribute="vlan") if i.on or not i.on %}',
  '{{ intf(i) }}{% if loop.first %}{{ "%s-%03d"|format(i.name, i.vlan) }}{% elif i.vlan is divisibleby 2 %}{{ i.vlan // 3 }}{% else %}x{% endif %}',
  '{% set ns.n = ns.n + i.vlan %}{{ i.name.split("/")|join(",") }} {{ i|tojson }}{% endfor %}',
  '{{ items|map(attribute="vlan")|sum }} {{ items|selectattr("on")|list|length }} {{ items|groupby("vlan")|list|length }}',
  '{{ d|dictsort }} {{ d.items()|list }} {{ range(3)|batch(2)|list }} {{ "a b c"|wordwrap(3)|indent(2) }} {{ 2**70 }} {{ 1e3 }} {{ ns.n }}',
].join('\n');
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
// Loading the engine is paid at start, not by the first job; and so is the first run of the interpreter's code,
// which V8 compiles function by function when the WebAssembly first calls it (a first real template took 0.2-0.8 s
// after an empty warm-up render, a few ms after this one).
sandbox.warmUp(WARM_UP_TEMPLATE, { items: [{ name: 'Gi0/1', vlan: 10, on: true }, { name: 'Gi0/2', vlan: 20, on: false }], d: { b: 2, a: 1.5 } });
port.postMessage({ id: 0, ok: true, text: 'ready' } satisfies RenderReply);
