import { fromConnectionArgs, type ConnectionArgs } from '../ssh/connection.js';
import { redactSecrets } from '../ssh/errors.js';
import { NetmikoDriver } from '../ssh/netmiko-driver.js';
import { openDeviceSession } from '../ssh/session-pool.js';
import { isoWithOffset } from './job-view.js';
import type { DeviceConnectionArgs } from './request.js';
import type { ConnectionTestResult } from './service.js';

/** `POST /device/test`: log in, find the prompt (netmiko) or open a session (generic SSH), log out. */
export async function testDeviceConnection(driver: 'netmiko' | 'paramiko', args: DeviceConnectionArgs): Promise<ConnectionTestResult> {
  const started = performance.now();
  const conn = fromConnectionArgs(args as unknown as ConnectionArgs);
  const secrets = [args.password, args.secret, args.private_key, args.pkey, args.passphrase];
  try {
    const session = await openDeviceSession({ driver, connection: conn });
    try {
      const prompt = session instanceof NetmikoDriver ? await session.findPrompt() : null;
      return {
        success: true,
        connection_time: Math.round(performance.now() - started) / 1000,
        error_message: null,
        // After `autodetect` the device_type found is the one reported.
        device_info: { prompt, device_type: session instanceof NetmikoDriver ? session.deviceType : (args.device_type ?? 'linux'), host: args.host },
        timestamp: isoWithOffset(new Date())!,
      };
    } finally {
      await session.disconnect();
    }
  } catch (e) {
    return {
      success: false,
      connection_time: Math.round(performance.now() - started) / 1000,
      error_message: redactSecrets(`${(e as Error).name}: ${(e as Error).message}`, secrets),
      device_info: null,
      timestamp: isoWithOffset(new Date())!,
    };
  }
}
