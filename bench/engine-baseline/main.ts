import { argNumber, formatThroughput } from '../lib/stats.js';
import { runEngineBaseline } from './index.js';

// npx tsx bench/engine-baseline/main.ts [--workflows 300] [--concurrency 50]   (TEMPORAL_ADDRESS, default 127.0.0.1:7233)
const result = await runEngineBaseline({ address: process.env.TEMPORAL_ADDRESS, workflows: argNumber('workflows', 300), concurrency: argNumber('concurrency', 50) });
console.log(formatThroughput(result));
console.log('no ratio: this is the baseline itself (a bare one-activity workflow on a bare worker): the engine alone on this machine, now.');
