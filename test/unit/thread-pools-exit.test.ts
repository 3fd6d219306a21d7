import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A process that used a render or parse thread and never closed its pool (the API's shared pools are never
// closed) still exits when its work is done: the threads are unref'd after their listeners are attached, since a
// 'message' listener refs a worker's port again. Before, such a process hung after its shutdown.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runToEnd(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('thread pools do not keep a process alive', () => {
  it('a render pool left open', () => {
    const r = runToEnd(`
      import { RenderPool } from './src/rendering/pool.ts';
      const pool = new RenderPool({ timeMs: 2000, memoryBytes: 32 * 1024 * 1024, outputChars: 10000 });
      console.log(await pool.render('{{ a }}-{{ b }}', { a: 1, b: 'x' }));
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('1-x');
    expect(r.status).toBe(0);
  }, 90_000);

  it('a parse pool left open', () => {
    const r = runToEnd(`
      import { ParsePool } from './src/parsing/parse-pool.ts';
      const pool = new ParsePool({ threads: 2, budgetMs: 2000 });
      const out = await pool.run([{ key: 'show', engine: 'regex', template: '^(?P<n>\\\\S+) up$', text: 'eth0 up\\n' }]);
      console.log(JSON.stringify(out));
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('{"show":[{"n":"eth0"}]}');
    expect(r.status).toBe(0);
  }, 90_000);
});
