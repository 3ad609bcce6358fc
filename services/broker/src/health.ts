import { createServer } from 'node:http';
import type { BrokerSection } from '@wattbus/shared';
import type { Aedes } from 'aedes';
import { type Listener, listen } from './listeners/listeners.js';
import type { BrokerStore } from './store/open-store.js';

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  /** Why the broker is unhealthy, when it is. */
  problems: string[];
  clients: number;
  store: BrokerSection['store'];
  listeners: { name: string; host: string; port: number }[];
  uptime_seconds: number;
}

export interface HealthServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * `GET /health` answers 200 with a JSON report while the broker accepts connections and its store is reachable,
 * and 503 otherwise; docker-compose.yml's healthcheck (services/broker/dist/healthcheck.js) calls it.
 */
export async function startHealthServer(
  settings: BrokerSection,
  report: () => HealthReport,
): Promise<HealthServer> {
  const host = settings.health_host || settings.host;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || path !== '/health') {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found: try GET /health\n');
      return;
    }
    const body = report();
    response.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
    response.end(`${JSON.stringify(body)}\n`);
  });
  server.keepAliveTimeout = 1000;
  const port = await listen(server, host, settings.health_port, 'health_port');
  return { host, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export function describeListeners(listeners: readonly Listener[]): HealthReport['listeners'] {
  return listeners.map(({ name, host, port }) => ({ name, host, port }));
}

/** The report of GET /health: unhealthy while the broker closes or its store cannot be reached. */
export function healthReport(
  aedes: Aedes,
  store: BrokerStore,
  listeners: Listener[],
  started: number,
): HealthReport {
  const problems: string[] = [];
  if (aedes.closed) problems.push('the broker is closing');
  if (!store.healthy()) problems.push(`the ${store.kind} store is not reachable`);
  return {
    status: problems.length === 0 ? ('ok' as const) : ('unhealthy' as const),
    problems,
    clients: aedes.connectedClients,
    store: store.kind,
    listeners: describeListeners(listeners),
    uptime_seconds: Math.round((Date.now() - started) / 1000),
  };
}
