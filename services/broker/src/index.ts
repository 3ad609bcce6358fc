export { AccessControl, passwordFilePath } from './access/access-control.js';
export { type BrokerOptions, type RunningBroker, startBroker } from './broker.js';
