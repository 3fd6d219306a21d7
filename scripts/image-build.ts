/**
 * Builds the image's file system without Docker, by running the Dockerfile's own instructions: each stage gets a
 * directory standing for its root file system, COPY copies from the build context (filtered by .dockerignore) or
 * from an earlier stage, RUN runs in the stage's WORKDIR with the stage's ENV and Node 24 first on PATH (the
 * base image's Node: the version in NODE_IMAGE must be the one given). What this cannot reproduce is the base
 * image's own file system: the host stands for it.
 *
 *   npx tsx scripts/image-build.ts [--out DIR] [--node /path/to/node24]
 *
 * The result says how the image would start (ENTRYPOINT, CMD, ENV, USER, HEALTHCHECK) and where its WORKDIR
 * is, so a test can start `node dist/src/cli.js …` from a tree holding production dependencies only.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Instruction {
  op: string;
  args: string;
  line: number;
}

export interface Stage {
  name: string;
  image: string;
  /** The directory standing for the stage's `/`. */
  root: string;
  workdir: string;
  env: Record<string, string>;
  user?: string;
  expose: string[];
  healthcheck?: { options: string[]; command: string[] };
  entrypoint?: string[];
  cmd?: string[];
}

export interface ImageBuild {
  stages: Stage[];
  /** The last stage: what `docker run` starts. */
  runtime: Stage;
  /** The runtime stage's WORKDIR on this machine. */
  appDir: string;
  /** The context files the .dockerignore lets in (relative paths). */
  contextFiles: string[];
}

/** Splits a Dockerfile into instructions: comments dropped, `\` continuations joined, ARG defaults applied. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i]!;
      if (/^\s*#/.test(next)) continue;
      line = `${line.slice(0, -1)} ${next.trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot parse "${line}"`);
    out.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 });
  }
  return out;
}

function jsonArray(args: string, where: string): string[] {
  try {
    const v = JSON.parse(args) as unknown;
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v;
  } catch {
    // fall through
  }
  throw new Error(`${where}: only the exec (JSON array) form is supported, got ${args}`);
}

/** .dockerignore matching as Docker does it: patterns against context-relative paths, the last match wins. */
export function dockerignoreFilter(patterns: string[]): (path: string) => boolean {
  const rules = patterns
    .map((p) => p.trim())
    .filter((p) => p !== '' && !p.startsWith('#'))
    .map((p) => {
      const negate = p.startsWith('!');
      const glob = posix.normalize((negate ? p.slice(1) : p).replace(/^\/+/, '')).replace(/\/$/, '');
      const re = glob
        .split('/')
        .map((seg) => (seg === '**' ? '.*' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (path: string) => {
    // A pattern matching a directory excludes what is under it too.
    const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (prefixes.some((p) => rule.re.test(p))) excluded = !rule.negate;
    }
    return !excluded;
  };
}

function listFiles(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, base), { withFileTypes: true })) {
    const rel = base ? `${base}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out;
}

function run(command: string, cwd: string, env: Record<string, string>, log: (s: string) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const keep = (b: Buffer) => {
      for (const l of b.toString('utf8').split('\n')) if (l.trim()) tail.push(l);
      tail.splice(0, Math.max(0, tail.length - 40));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) {
        for (const l of tail.slice(-3)) log(`    ${l}`);
        resolvePromise();
      } else reject(new Error(`RUN ${command} exited with ${code}:\n${tail.join('\n')}`));
    });
  });
}

export interface BuildOptions {
  context: string;
  out: string;
  /** The Node 24 binary standing for the base image's node. */
  node: string;
  nodeVersion: string;
  log?: (s: string) => void;
}

export async function buildImage(options: BuildOptions): Promise<ImageBuild> {
  const log = options.log ?? ((s: string) => process.stdout.write(`${s}\n`));
  const context = resolve(options.context);
  const instructions = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  const ignore = existsSync(join(context, '.dockerignore')) ? readFileSync(join(context, '.dockerignore'), 'utf8').split('\n') : [];
  const allowed = dockerignoreFilter(ignore);
  // Asynchronous copies and removals: node_modules is hundreds of MB, and a caller's event loop (a test runner's) must
  // keep turning meanwhile.
  await rm(options.out, { recursive: true, force: true });
  mkdirSync(options.out, { recursive: true });

  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  let stage: Stage | undefined;
  const nodeBin = dirname(options.node);
  const inStage = (s: Stage, p: string) => join(s.root, posix.resolve(s.workdir, p));
  const contextPaths = new Set<string>();
  const t0 = Date.now();

  for (const ins of instructions) {
    const where = `Dockerfile line ${ins.line}`;
    const expand = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => args[a ?? b] ?? stage?.env[a ?? b] ?? '');
    if (ins.op === 'ARG') {
      const [name, value] = ins.args.split('=', 2) as [string, string | undefined];
      args[name] = value ?? '';
      continue;
    }
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`${where}: cannot parse FROM ${ins.args}`);
      const image = expand(m[1]!);
      const nodeTag = /^node:(\d+\.\d+\.\d+)/.exec(image);
      if (!nodeTag || `v${nodeTag[1]}` !== options.nodeVersion) {
        throw new Error(`${where}: the stage is based on ${image}, but this build stands in Node ${options.nodeVersion} for its node`);
      }
      const name = m[2] ?? String(stages.length);
      stage = { name, image, root: join(options.out, name), workdir: '/', env: {}, expose: [] };
      mkdirSync(stage.root, { recursive: true });
      stages.push(stage);
      log(`[image] stage ${name} (FROM ${image}) +${((Date.now() - t0) / 1000).toFixed(1)}s`);
      continue;
    }
    if (!stage) throw new Error(`${where}: ${ins.op} before FROM`);
    switch (ins.op) {
      case 'WORKDIR':
        stage.workdir = posix.resolve(stage.workdir, expand(ins.args));
        mkdirSync(join(stage.root, stage.workdir), { recursive: true });
        break;
      case 'ENV': {
        const m = /^(\w+)=(.*)$/.exec(ins.args);
        if (!m) throw new Error(`${where}: only ENV NAME=value is supported`);
        stage.env[m[1]!] = expand(m[2]!.replace(/^"(.*)"$/, '$1'));
        break;
      }
      case 'USER':
        stage.user = ins.args;
        break;
      case 'EXPOSE':
        stage.expose.push(...ins.args.split(/\s+/));
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = jsonArray(ins.args, where);
        break;
      case 'CMD':
        stage.cmd = jsonArray(ins.args, where);
        break;
      case 'HEALTHCHECK': {
        const m = /^((?:--\S+\s+)*)CMD\s+(.*)$/.exec(ins.args);
        if (!m) throw new Error(`${where}: HEALTHCHECK needs [options] CMD [...]`);
        stage.healthcheck = { options: m[1]!.trim().split(/\s+/).filter(Boolean), command: jsonArray(m[2]!, where) };
        break;
      }
      case 'COPY': {
        const words = ins.args.split(/\s+/);
        const from = words[0]!.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
        if (words.some((w) => w.startsWith('--'))) throw new Error(`${where}: unsupported COPY option in ${ins.args}`);
        const dest = words.pop()!;
        const destPath = inStage(stage, dest);
        const intoDir = dest.endsWith('/') || words.length > 1;
        for (const src of words) {
          if (from !== undefined) {
            const source = stages.find((s) => s.name === from);
            if (!source) throw new Error(`${where}: no stage named ${from}`);
            const srcPath = join(source.root, posix.resolve(source.workdir, src));
            const target = intoDir ? join(destPath, basename(srcPath)) : destPath;
            mkdirSync(dirname(target), { recursive: true });
            await cp(srcPath, target, { recursive: true, verbatimSymlinks: true });
            continue;
          }
          const srcPath = join(context, src);
          const rel = relative(context, srcPath);
          if (rel.startsWith('..')) throw new Error(`${where}: ${src} is outside the build context`);
          const files = statSync(srcPath).isDirectory() ? listFiles(srcPath).map((f) => posix.join(rel, f)) : [rel];
          const sent = files.filter(allowed);
          if (sent.length === 0) throw new Error(`${where}: ${src} is not in the build context (.dockerignore leaves it out)`);
          for (const f of sent) {
            contextPaths.add(f);
            const target = statSync(srcPath).isDirectory() ? join(destPath, relative(rel, f)) : intoDir ? join(destPath, basename(f)) : destPath;
            mkdirSync(dirname(target), { recursive: true });
            await cp(join(context, f), target);
          }
        }
        break;
      }
      case 'RUN': {
        const cwd = join(stage.root, stage.workdir);
        log(`[image] ${stage.name}: RUN ${ins.args} +${((Date.now() - t0) / 1000).toFixed(1)}s`);
        const env: Record<string, string> = {
          PATH: `${nodeBin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          HOME: process.env.HOME ?? '/root',
          ...(process.env.npm_config_cache ? { npm_config_cache: process.env.npm_config_cache } : {}),
          // The host's npm cache stands in for the registry the image build downloads from: same lock file, same
          // packages, without revalidating each of them (minutes on a loaded machine).
          npm_config_prefer_offline: 'true',
          ...stage.env,
        };
        await run(expand(ins.args), cwd, env, log);
        break;
      }
      default:
        throw new Error(`${where}: ${ins.op} is not supported by scripts/image-build.ts`);
    }
  }
  if (!stage) throw new Error('the Dockerfile has no stage');
  log(`[image] built in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return { stages, runtime: stage, appDir: join(stage.root, stage.workdir), contextFiles: [...contextPaths].sort() };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const root = fileURLToPath(new URL('..', import.meta.url));
  const node = opt('--node') ?? process.execPath;
  const { execFileSync } = await import('node:child_process');
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const build = await buildImage({ context: root, out: resolve(opt('--out') ?? join(root, '.stack', 'image')), node, nodeVersion });
  const r = build.runtime;
  process.stdout.write(`app: ${build.appDir}\nstart: ${[...(r.entrypoint ?? []), ...(r.cmd ?? [])].join(' ')}\nenv: ${JSON.stringify(r.env)}\nuser: ${r.user}\n`);
}
