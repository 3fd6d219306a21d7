import { execFile, execFileSync } from 'node:child_process';

export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
}

function kcatPath(): string {
  for (const p of ['/usr/bin/kcat', '/usr/local/bin/kcat', '/usr/bin/kafkacat']) {
    try {
      execFileSync(p, ['-V'], { stdio: 'ignore' });
      return p;
    } catch {
      // try the next one
    }
  }
  throw new Error('kcat is not installed: run `bash scripts/stack/install.sh kcat`');
}

/** Reads a whole topic with kcat: an independent Kafka client, so our own client is not checked with itself. */
export function kcatConsumeAll(brokers: string, topic: string): KcatMessage[] {
  const out = execFileSync(kcatPath(), ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-J', '-q'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return out
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as KcatMessage);
}

/** Produces one message per line with kcat (key and value separated by a tab); `headers` go on every message. */
export function kcatProduce(brokers: string, topic: string, messages: { key?: string; value: string }[], headers: Record<string, string> = {}): void {
  const input = messages.map((m) => `${m.key ?? ''}\t${m.value}`).join('\n');
  const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  execFileSync(kcatPath(), ['-P', '-b', brokers, '-t', topic, '-K', '\t', ...headerArgs], { input, timeout: 30_000 });
}

/** The same as kcatProduce without blocking the event loop (a test that keeps other work going meanwhile). */
export function kcatProduceAsync(brokers: string, topic: string, messages: { key?: string; value: string }[]): Promise<void> {
  const input = messages.map((m) => `${m.key ?? ''}\t${m.value}`).join('\n');
  return new Promise((resolve, reject) => {
    const child = execFile(kcatPath(), ['-P', '-b', brokers, '-t', topic, '-K', '\t'], { timeout: 30_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`kcat produce failed: ${err.message} ${String(stderr).slice(-300)}`)) : resolve(),
    );
    child.stdin!.end(input);
  });
}
