import { argNumber, formatThroughput } from '../lib/stats.js';
import { runEngineBaseline } from './index.js';

// npx tsx bench/engine-baseline/main.ts [--workflows 300] [--concurrency 50]
const result = await runEngineBaseline({ workflows: argNumber('workflows', 300), concurrency: argNumber('concurrency', 50) });
console.log(formatThroughput(result));
