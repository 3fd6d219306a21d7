// What one entry into a workflow sandbox costs in Node itself: Temporal's SDK enters the workflow's V8 context with
// `vm.Script.runInContext(context, { timeout })` (its `isolateExecutionTimeout`), and Node starts and stops a
// watchdog thread for every call made with a timeout (nodejs/node pull request 47739). The baseline is the same
// call without a timeout, in the same run. No Switchyard code: this is an engine cost, paid alike by a bare
// workflow and a Switchyard job (bench/RESULTS.md, "Fifth round").
//   npx tsx bench/vm-timeout.ts [--calls 20000]
import vm from 'node:vm';

const i = process.argv.indexOf('--calls');
const calls = i >= 0 ? Number(process.argv[i + 1]) : 20_000;
if (!Number.isInteger(calls) || calls <= 0) throw new Error('--calls needs a positive integer');

// The SDK's own context mode: microtasks run before the call returns.
const context = vm.createContext({ n: 0 }, { microtaskMode: 'afterEvaluate' });
const script = new vm.Script('n++');

function measure(options: vm.RunningScriptOptions): { cpuUs: number; wallUs: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < calls; k++) script.runInContext(context, options);
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / calls, wallUs: ((performance.now() - t0) * 1000) / calls };
}

measure({}); // warm-up
const rows: Array<[string, { cpuUs: number; wallUs: number }]> = [];
for (let round = 0; round < 2; round++) {
  rows.push(['no timeout (baseline)', measure({})]);
  rows.push(['timeout 5000 ms (the SDK default)', measure({ timeout: 5000 })]);
}
console.log(`vm-timeout: ${calls} calls of runInContext per row, two rounds`);
console.log('| call | CPU µs per call | wall µs per call |');
console.log('|---|---|---|');
for (const [name, r] of rows) console.log(`| ${name} | ${r.cpuUs.toFixed(1)} | ${r.wallUs.toFixed(1)} |`);
const base = rows.filter(([n]) => n.startsWith('no')).map(([, r]) => r.cpuUs);
const timed = rows.filter(([n]) => n.startsWith('timeout')).map(([, r]) => r.cpuUs);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`ratio with timeout / without: ${(mean(timed) / mean(base)).toFixed(1)}× CPU per call`);
