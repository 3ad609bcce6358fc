// Single modules instead of the @wattbus/shared barrel throughout the broker: the barrel also loads the MQTT client
// and the rest of the services' code, some 10 MiB of memory that the broker never uses.
import { runService } from '@wattbus/shared/service/lifecycle.js';
import { startBroker } from './broker.js';

await runService('broker', async ({ config, logger }) => {
  const broker = await startBroker({ config, env: process.env, logger });
  // As with Mosquitto, SIGHUP reloads the password and ACL files (they are also reloaded when they change).
  process.on('SIGHUP', () => broker.access.reload());
  return () => broker.close();
});
