import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Energy, UnitState } from '@wattbus/shared';
import type { TestClient } from '../helpers/mqtt.js';
import { REPO_ROOT, type ServiceProcess } from '../helpers/processes.js';

/** Fixture plugins of the fault suites (`fault_probe`), for the runners' `--plugins-dir`. */
export const FIXTURE_PLUGINS = join(REPO_ROOT, 'test/fixtures/plugins');

export { sleep };

/** A log line of a service (pino JSON), parsed; undefined for lines that are not JSON. */
export function parseLog(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * The first log line at or after index `from` whose parsed fields satisfy `match`, waiting for it: for events
 * that happen again and again (each reconnect logs the same message).
 */
export async function waitForLog(
  process: ServiceProcess,
  from: number,
  match: (entry: Record<string, unknown>) => boolean,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of process.lines.slice(from)) {
      const entry = parseLog(line);
      if (entry && match(entry)) return entry;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${process.name}: no matching log line within ${timeoutMs} ms. Output since:\n${process.lines
          .slice(Math.max(from, process.lines.length - 30))
          .join('\n')}`,
      );
    }
    if (process.child.exitCode !== null || process.child.signalCode !== null) {
      throw new Error(`${process.name} exited. Output:\n${process.lines.slice(-30).join('\n')}`);
    }
    await sleep(50);
  }
}

/** Every counter of `later` is at least that of `earlier`: energy counters never go backwards. */
export function counterDecreases(earlier: Energy, later: Energy): string[] {
  const problems: string[] = [];
  const compare = (name: string, before: Energy['home'], after: Energy['home'] | undefined) => {
    if (!after) problems.push(`${name} is missing`);
    else {
      if (after.import_wh < before.import_wh)
        problems.push(`${name}.import_wh ${before.import_wh} -> ${after.import_wh}`);
      if (after.export_wh < before.export_wh)
        problems.push(`${name}.export_wh ${before.export_wh} -> ${after.export_wh}`);
    }
  };
  for (const [channel, counter] of Object.entries(earlier.cts))
    compare(`cts.${channel}`, counter!, later.cts[channel as '1']);
  for (const group of ['home', 'production', 'net'] as const) compare(group, earlier[group], later[group]);
  return problems;
}

/** All energy counted, in Wh: for "how much was lost" comparisons. */
export function totalWh(energy: Energy): number {
  return (
    Object.values(energy.cts).reduce((sum, counter) => sum + counter!.import_wh + counter!.export_wh, 0) +
    energy.home.import_wh +
    energy.home.export_wh +
    energy.production.import_wh +
    energy.production.export_wh +
    energy.net.import_wh +
    energy.net.export_wh
  );
}

/**
 * Publishes a command to a unit's `set` topic and waits until the unit's retained state reads `state`. On a
 * timeout the error lists the `command_failed` events seen, which say why the registry refused it. The client
 * must be subscribed to the unit's topic and to `<base>/bridge/event`.
 */
export async function commandUnit(
  client: TestClient,
  unitTopic: string,
  command: 'On' | 'Off',
  timeoutMs = 30_000,
): Promise<UnitState> {
  const state = command === 'On' ? 'ON' : 'OFF';
  const sentAt = Date.now();
  await client.publish(`${unitTopic}/set`, command);
  try {
    return await client.waitForJson(
      unitTopic,
      (unit: UnitState) => unit.state === state && Date.parse(unit.lastUpdate) >= sentAt - 1000,
      timeoutMs,
    );
  } catch (error) {
    const refusals = client.messages
      .filter((m) => m.topic.endsWith('/bridge/event') && m.text.includes('command_failed'))
      .map((m) => m.text);
    throw new Error(`${(error as Error).message}\ncommand_failed events: ${refusals.join('\n') || 'none'}`);
  }
}
