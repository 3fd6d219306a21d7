export * from './codec.js';
export * from './connection.js';
export * from './search-attributes.js';
export * from './task-queues.js';
