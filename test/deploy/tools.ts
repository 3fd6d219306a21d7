/**
 * The offline checkers of the deployment files (installed by `scripts/stack/install.sh deploy-tools`, built from
 * deploy/check/) and what the checks share: running a tool, the configuration keys a deployment must set, and a
 * container's effective environment checked by the real configuration loader.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV_KEYS, FILE_ENV_KEYS, loadConfig, type Config, type EnvKey } from '../../src/config/index.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { DEV_DEFAULTS } from '../../src/config/schema.js';
import { parseDockerfile } from '../../scripts/image-build.js';
import { switchyardCache } from '../support/pytools.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const toolsDir = join(switchyardCache, 'deploy-tools');
export const tool = (name: 'helm' | 'compose-check' | 'k8s-check' | 'temporal-config-check') => join(toolsDir, name);
export const kedaCrd = join(toolsDir, 'keda-scaledobjects-crd.yaml');
export const node24 = join(switchyardCache, 'node24', 'bin', 'node');

/** Installs the checkers and Node 24 when missing or out of date (at once when they are current). */
export function ensureDeployTools(components: ('node24' | 'deploy-tools')[] = ['node24', 'deploy-tools']): void {
  execFileSync('bash', [join(repoRoot, 'scripts/stack/install.sh'), '--quiet', ...components], { stdio: 'inherit' });
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runTool(command: string, args: string[], cwd = repoRoot): Run {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const realKeyNames = new Set([...ENV_KEYS, ...FILE_ENV_KEYS].map((k) => k.name));

function valueAt(tree: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((node, p) => (node as Record<string, unknown> | undefined)?.[p], tree);
}

/**
 * The keys a deployment has to set, read from the configuration loader: every credential that ships with a
 * development default (PRODUCTION refuses to start with one), and every key whose default names a loopback
 * address (right for the local stack, wrong in a container).
 */
export function requiredDeploymentKeys(): EnvKey[] {
  const defaults = defaultConfig();
  const devValues = new Set<string>(Object.values(DEV_DEFAULTS));
  return ENV_KEYS.filter((k) => {
    const v = valueAt(defaults, k.path);
    if (typeof v === 'string' && devValues.has(v)) return true;
    return /127\.0\.0\.1|localhost/.test(JSON.stringify(v ?? null));
  });
}

/** True when ENV sets KEY, directly or (a credential) through its `_FILE` variant. */
export function setsKey(env: Record<string, string>, key: EnvKey): boolean {
  return Boolean(env[key.name]) || Boolean(key.secret && env[`${key.name}_FILE`]);
}

/** The runtime stage's ENV of the Dockerfile: the environment every container starts from. */
export function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  let stage = '';
  for (const ins of parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'))) {
    if (ins.op === 'FROM') {
      stage = ins.args;
      for (const k of Object.keys(env)) delete env[k];
    }
    const m = ins.op === 'ENV' ? /^(\w+)=(.*)$/.exec(ins.args) : null;
    if (m && stage) env[m[1]!] = m[2]!;
  }
  return env;
}

/**
 * Loads the configuration a container would: ENV as given, every `_FILE` path replaced by a file in a temporary
 * directory holding `files[basename(path)]` (the mounted secret's content).
 */
export function loadContainerConfig(env: Record<string, string>, files: Record<string, string>): Config {
  const dir = mkdtempSync(join(tmpdir(), 'sy-deploy-'));
  mkdirSync(dir, { recursive: true });
  const local: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.endsWith('_FILE')) {
      const content = files[basename(v)];
      if (content === undefined) throw new Error(`${k} names ${v}, and no such secret is mounted`);
      const file = join(dir, basename(v));
      writeFileSync(file, content);
      local[k] = file;
    } else local[k] = v;
  }
  return loadConfig({ env: local });
}
