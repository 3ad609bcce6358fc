#!/usr/bin/env node
import { exitOnConfigError } from '@wattbus/shared/config/errors.js';
import { loadConfig } from '@wattbus/shared/config/load.js';

/**
 * The container health check of docker-compose.yml: exits 0 when the broker's GET /health answers 200. The runtime
 * image has no curl, and the port comes from the same config.toml and environment the broker reads.
 */
let settings: ReturnType<typeof loadConfig>['config']['broker'];
try {
  settings = loadConfig().config.broker;
} catch (error) {
  exitOnConfigError(error, 'broker healthcheck');
}
if (settings.health_port === 0) {
  process.stderr.write('broker healthcheck: the health endpoint is off ([broker] health_port = 0)\n');
  process.exit(1);
}
const bound = settings.health_host || settings.host;
const host =
  bound === '0.0.0.0' ? '127.0.0.1' : bound === '::' ? '[::1]' : bound.includes(':') ? `[${bound}]` : bound;
try {
  const response = await fetch(`http://${host}:${settings.health_port}/health`, {
    signal: AbortSignal.timeout(3000),
  });
  process.stdout.write(await response.text());
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`broker healthcheck: ${(error as Error).message}\n`);
  process.exit(1);
}
