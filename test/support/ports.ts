import { createServer, type AddressInfo } from 'node:net';

/**
 * A loopback port the kernel just handed out (listen on 0, then close): free right now. For a server started at
 * once by the caller. A stack whose servers bind side by side wants test/faults/private-stack.ts's `freePort`,
 * which stays below the ephemeral range.
 */
export function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
