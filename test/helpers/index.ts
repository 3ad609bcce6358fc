export * from './brokers.js';
export * from './mqtt.js';
export * from './ports.js';
export * from './processes.js';
export * from './retained.js';
export * from './stack.js';
export * from './temp.js';
