import { Writable } from 'node:stream';
import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { readJobFile } from '../../src/cli/client-commands.js';
import { ProgressBar, table } from '../../src/cli/render.js';

function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

/** Every command path of the tree: [], ['api'], ['jobs'], ['jobs', 'submit'], … */
function paths(cmd: Command, prefix: string[] = []): string[][] {
  return [prefix, ...cmd.commands.filter((c) => c.name() !== 'help').flatMap((c) => paths(c, [...prefix, c.name()]))];
}

describe('switchyard command tree', () => {
  it('answers --help on every command and subcommand with its usage, and runs nothing', async () => {
    const all = paths(buildProgram());
    expect(all.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining(['api', 'worker', 'dev', 'config', 'token', 'reconcile', 'migrate', 'gpu-agent', 'jobs submit', 'jobs get', 'jobs list', 'jobs cancel', 'jobs watch', 'workers', 'tasks list', 'tasks get']),
    );
    for (const path of all) {
      const out = sink();
      const program = buildProgram({ out: out.stream, err: sink().stream });
      let ended: unknown = null;
      try {
        await program.parseAsync([...path, '--help'], { from: 'user' });
      } catch (e) {
        ended = e;
      }
      const name = ['switchyard', ...path].join(' ');
      if (path[0] === 'gpu-agent') {
        // The agent keeps its own option parser and usage text; --help prints it and returns.
        expect(ended, name).toBeNull();
        expect(out.text(), name).toMatch(/^usage: switchyard gpu-agent \[options\]/);
        continue;
      }
      expect(ended, name).toBeInstanceOf(CommanderError);
      expect((ended as CommanderError).exitCode, name).toBe(0);
      expect(out.text(), name).toMatch(new RegExp(`^Usage: ${name}`));
    }
  });

  it('prints the package version', async () => {
    const out = sink();
    const e = await buildProgram({ out: out.stream, err: sink().stream })
      .parseAsync(['--version'], { from: 'user' })
      .catch((x: unknown) => x);
    expect((e as CommanderError).code).toBe('commander.version');
    expect(out.text()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('CLI helpers', () => {
  it('reads a job file as a JSON array, one object, or one object per line, and refuses anything else', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'sy-cli-unit-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    expect(readJobFile(file('a.json', '[{"driver":"ssh"},{"driver":"netmiko"}]'))).toHaveLength(2);
    expect(readJobFile(file('b.json', '{"driver":"ssh"}'))).toEqual([{ driver: 'ssh' }]);
    expect(readJobFile(file('c.jsonl', '{"driver":"ssh"}\n\n{"driver":"paramiko"}\n'))).toHaveLength(2);
    expect(() => readJobFile(file('d.json', '[{"driver":"ssh"}'))).toThrowError(/must hold a JSON array/);
    expect(() => readJobFile(file('e.json', '[1]'))).toThrowError(/entry 0 is not a JSON object/);
    expect(() => readJobFile(file('f.json', '[]'))).toThrowError(/holds no jobs/);
    expect(() => readJobFile(join(dir, 'missing.json'))).toThrowError(/cannot be read \(ENOENT\)/);
  });

  it('draws tables sized to their cells and progress as lines when not on a terminal', () => {
    expect(table([{ a: 'x', b: 'long value' }, { a: 'yyyy', b: 'v' }], [{ title: 'a', value: (r) => r.a }, { title: 'bee', value: (r) => r.b }])).toBe('A     BEE\nx     long value\nyyyy  v\n');
    const out = sink();
    const bar = new ProgressBar(out.stream, 4, 8);
    bar.update(0, 'ended', true);
    bar.update(0, 'ended');
    bar.update(4, 'ended', true);
    expect(out.text().split('\n').filter(Boolean).map((l) => l.replace(/ · [\d.]+ s$/, ''))).toEqual(['[--------] 0/4 ended', '[########] 4/4 ended']);
  });
});
