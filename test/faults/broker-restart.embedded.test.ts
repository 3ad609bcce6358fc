import { vi } from 'vitest';
import { startWattbusBroker } from '../helpers/brokers.js';
import { describeBrokerRestart } from './broker-restart.js';

// Real processes on a machine shared with other suites: the waits are generous, the work is not.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

describeBrokerRestart('the embedded broker', (options) => startWattbusBroker({}, options));
