/**
 * The codec in a real browser: Debian's chromium (through playwright-core, no browser download) opens a device
 * job in the Temporal UI served by the local dev server, from the addresses Switchyard prints (127.0.0.1 for the
 * UI and the API alike), after the operator's two steps: sign in at /codec/session, and point the UI's codec
 * setting at the API with "include cross-origin credentials". The job's input and result must be decoded, and
 * the device password masked.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeviceEmulator, type DeviceEmulator } from '../support/device-emulator.js';
import { startDeviceStack, type DeviceStack } from '../support/device-stack.js';
import { eventually, testEnv } from '../support/env.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

const env = testEnv('uibrowser');
const { config } = env;
const KEY = { 'X-API-KEY': config.auth.deviceApiKey, 'content-type': 'application/json' };

let stack: DeviceStack;
let emu: DeviceEmulator;
let browser: Browser;

beforeAll(async () => {
  // Loud, never skipped: the browser is part of the test stack (scripts/stack/install.sh installs it with apt).
  if (!CHROMIUM) throw new Error('chromium is not installed: run scripts/stack/install.sh (apt-get install chromium), or set CHROMIUM_PATH');
  emu = await startDeviceEmulator({});
  [browser, stack] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }), startDeviceStack(env, { apiKafka: false })]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await emu?.close();
  await env.cleanup();
}, 60_000);

describe('Temporal UI with the codec, in chromium', () => {
  it('shows a device job decoded with its credentials masked, from the printed 127.0.0.1 addresses', async () => {
    const body = {
      driver: 'netmiko',
      connection_args: { host: emu.host, port: emu.port, username: emu.username, password: emu.password, device_type: 'cisco_ios', secret: emu.enableSecret },
      command: 'show clock',
    };
    const submitted = await fetch(`${stack.api.url}/device/exec`, { method: 'POST', headers: KEY, body: JSON.stringify(body) });
    const { id } = ((await submitted.json()) as { data: { id: string } }).data;
    const job = await eventually(
      async () => {
        const r = await fetch(`${stack.api.url}/job?id=${id}`, { headers: KEY });
        const v = ((await r.json()) as { data: Array<{ status: string; temporal_ui_url: string }> }).data[0];
        return v && v.status === 'finished' ? v : null;
      },
      'the device job finishes',
      60_000,
      200,
    );
    expect(new URL(stack.api.url).hostname).toBe(new URL(config.temporal.uiUrl).hostname);

    const context = await browser.newContext();
    const page = await context.newPage();
    // Step 1: the operator signs in to the codec endpoint (the cookie is for 127.0.0.1, the UI's host too).
    await page.goto(`${stack.api.url}/codec/session`);
    await page.fill('input[name=token]', config.auth.codecOperatorToken);
    await Promise.all([page.waitForURL(`${stack.api.url}/codec/session`), page.click('button')]);
    expect(await page.textContent('body')).toContain('"ok":true');
    // Step 2: the UI's codec setting (what its Codec Server dialog stores in this browser).
    const settings = { endpoint: `${stack.api.url}/codec`, includeCredentials: true, passAccessToken: false, overrideRemoteCodecConfiguration: true };
    await page.addInitScript({
      content: Object.entries(settings)
        .map(([k, v]) => `localStorage.setItem(${JSON.stringify(k)}, ${JSON.stringify(JSON.stringify(v))});`)
        .join('\n'),
    });

    // The link from the API answer, as a user clicks it.
    await page.goto(job.temporal_ui_url);
    const text = await eventually(
      async () => {
        const t = await page.evaluate<string>('document.body.innerText');
        return t.includes(emu.username) && t.includes('succeeded') ? t : null;
      },
      'the decoded input and result in the UI',
      30_000,
      500,
    );
    expect(text).toContain('***');
    expect(text).not.toContain(emu.password);
    expect(text).not.toContain(emu.enableSecret);
    expect(page.url()).toContain(`/workflows/${id}`);
    await context.close();
  }, 90_000);
});
