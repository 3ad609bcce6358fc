import { vi } from 'vitest';
import { startMosquitto } from '../helpers/brokers.js';
import { describeBrokerRestart } from './broker-restart.js';

// Real processes on a machine shared with other suites: the waits are generous, the work is not.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

describeBrokerRestart("Debian's Mosquitto", (options) => startMosquitto('', options));
