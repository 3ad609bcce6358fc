export * from './bus/bus.js';
export * from './bus/request-client.js';
export * from './config/index.js';
export * from './contract/index.js';
export * from './fs/make-directory.js';
export * from './log/logger.js';
export * from './service/lifecycle.js';
