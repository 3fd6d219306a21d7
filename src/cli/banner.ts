import type { Config } from '../config/index.js';

/**
 * What `switchyard dev` (npm start) prints once the API answers: where things are, and the codec sign-in an
 * operator needs to read payloads in the Temporal UI (README "Payload encryption and the codec endpoint"). It
 * names the token's variable, never its value.
 */
export function startBanner(config: Config): string {
  const apiUrl = `http://${config.api.host}:${config.api.port}`;
  const lines = [
    '',
    'Switchyard is running:',
    `  API          ${apiUrl}  (docs: ${apiUrl}/docs)`,
    `  Temporal UI  ${config.temporal.uiUrl}`,
    ...(config.tracing.otlpEndpoint ? [`  Traces       ${config.tracing.otlpEndpoint} (OTLP)`] : []),
    'To see payloads decoded (credentials masked) in the Temporal UI:',
    `  1. sign in at ${apiUrl}/codec/session with CODEC_OPERATOR_TOKEN`,
    `  2. in the UI's Codec Server dialog set ${apiUrl}/codec and turn on "Include cross-origin credentials"`,
    '     (open the UI and the API under the same host name, as printed here: the sign-in cookie is SameSite=Lax)',
    'Press Ctrl-C to stop everything.',
    '',
    '',
  ];
  return lines.join('\n');
}
