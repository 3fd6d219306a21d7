export * from './status.js';
export * from './status-mapping.js';
export * from './task.js';
export * from './ids.js';
export * from './priority.js';
