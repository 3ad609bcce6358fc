import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../test/helpers/processes.js';

/**
 * The NODE_OPTIONS that docker-compose.yml (and so `npm start`) gives the broker, so that the benchmarks measure the
 * broker as it ships rather than a bare `node main.js`.
 */
export function shippedBrokerNodeOptions(): string | undefined {
  const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services?: { broker?: { environment?: Record<string, unknown> } };
  };
  const options = compose.services?.broker?.environment?.NODE_OPTIONS;
  return typeof options === 'string' && options.trim() !== '' ? options.trim() : undefined;
}

/** The embedded broker's environment for a benchmark: loopback, anonymous, no rate limits, quiet logs. */
export function benchBrokerEnv(port: number, dataDir: string): Record<string, string | undefined> {
  return {
    WATTBUS_CONFIG: undefined,
    WATTBUS__GENERAL__LOG_LEVEL: 'warn',
    WATTBUS__BROKER__HOST: '127.0.0.1',
    WATTBUS__BROKER__PORT: String(port),
    WATTBUS__BROKER__WEBSOCKET_PORT: '0',
    WATTBUS__BROKER__HEALTH_PORT: '0',
    WATTBUS__BROKER__ALLOW_ANONYMOUS: 'true',
    // Every connection of a benchmark comes from 127.0.0.1.
    WATTBUS__BROKER__CONNECT_RATE_LIMIT: '0',
    WATTBUS__BROKER__DATA_DIR: dataDir,
  };
}
