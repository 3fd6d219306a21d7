import type { DialectFactory } from './app.js';
import { createDeviceDialect } from './device/index.js';
import { createGpuDialect } from './gpu/index.js';
import { createSchedulerDialect } from './scheduler/index.js';
import { createServiceTasksDialect } from './service-tasks/index.js';

/** Every dialect the API serves, in mount order. */
export const ALL_DIALECTS: DialectFactory[] = [createDeviceDialect, createGpuDialect, createSchedulerDialect, createServiceTasksDialect];
