export * from './errors.js';
export * from './mongo.js';
export * from './tasks.js';
export * from './counters.js';
export * from './workers.js';
export * from './indexes.js';
export * from './migrations.js';
