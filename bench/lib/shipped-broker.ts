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
