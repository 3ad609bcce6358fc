import { runService } from '@wattbus/shared';
import { startBroker } from './broker.js';

await runService('broker', async ({ config, logger }) => {
  const broker = await startBroker(config.broker, logger);
  return () => broker.close();
});
