import type { Config } from '../config/index.js';
import { outboundFor } from '../net/outbound.js';
import { DeviceRequestError, type DeviceJobRequest } from './request.js';

/**
 * A job's webhook URL against the outbound policy, as far as the URL shows it (scheme, host name, IP literal):
 * refused at submission with a 400 naming `webhook.url`. A name is checked again on every address it resolves to
 * when the webhook is called (src/net/outbound.ts).
 */
export function assertWebhookAllowed(config: Config, req: Pick<DeviceJobRequest, 'webhook'>, field = 'webhook.url'): void {
  if (!req.webhook) return;
  const refusal = outboundFor(config).policy.checkUrl(new URL(req.webhook.url));
  if (refusal) throw new DeviceRequestError(`webhook.url is refused by the outbound policy: ${refusal.reason}`, field);
}
