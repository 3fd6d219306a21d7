export * from './client.js';
export * from './producer.js';
export * from './consumer.js';
export * from './topics.js';
export * from './event-publisher.js';
