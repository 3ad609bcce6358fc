import { runService } from '@wattbus/shared';
import { startRegistry } from './registry-service.js';

await runService('registry', async ({ config, logger }) => {
  const registry = await startRegistry(config, logger);
  return () => registry.stop();
});
