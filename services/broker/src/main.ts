import { runService } from '@wattbus/shared';
import { startBroker } from './broker.js';

await runService('broker', async ({ config, logger }) => {
  const broker = await startBroker({ config, env: process.env, logger });
  // As with Mosquitto, SIGHUP reloads the password and ACL files (they are also reloaded when they change).
  process.on('SIGHUP', () => broker.access.reload());
  return () => broker.close();
});
