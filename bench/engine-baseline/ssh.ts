import { SessionPool, withFreshSession, type SessionSpec } from '../../src/ssh/session-pool.js';

/**
 * The device work of a job, without Switchyard around it: the same drivers (src/ssh), the same sessions. A
 * workflow names only a target and a command; the connection (and its password) stays in this process, so
 * the bare workflow's history holds no credential either.
 */
export function createSshBaselineActivities(targets: Record<string, SessionSpec>) {
  const pool = new SessionPool({ idleTimeout: 300 });
  const spec = (target: string) => {
    const s = targets[target];
    if (!s) throw new Error(`unknown target ${target}`);
    return s;
  };
  return {
    activities: {
      /** Fifo's way: connect, run the command, disconnect. */
      async sshFresh(target: string, command: string): Promise<string> {
        const res = await withFreshSession(spec(target), (s) => s.sendCommands([command]));
        return res.output[command] ?? '';
      },
      /** Pinned's way: the worker's session for the host (one login; calls for one host queue behind each other). */
      async sshPooled(target: string, command: string): Promise<string> {
        const res = await pool.withSession(spec(target), (s) => s.sendCommands([command]));
        return res.output[command] ?? '';
      },
    },
    close: () => pool.closeAll(),
  };
}
