import type { DialectFactory } from './app.js';
import { createDeviceDialect } from './device/index.js';

/** Every dialect the API serves, in mount order. */
export const ALL_DIALECTS: DialectFactory[] = [createDeviceDialect];
