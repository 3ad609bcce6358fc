import { channelsInOrder, type Reading } from '@wattbus/shared/contract/readings.js';
import type { FigureKind } from './config.js';

/** One published figure: its topic below the prefix, its deadband kind and its value. */
export interface Figure {
  readonly path: string;
  readonly kind: FigureKind;
  readonly value: number;
}

/** The part of a reading the reference's MQTT plugin publishes (power-calculation.md section 4). */
export type ReadingFigures = Omit<Reading, 'timestamp' | 'frequency'>;

const CT_FIELDS = ['power', 'pf', 'current', 'voltage'] as const;

/**
 * The reference's topic layout below the prefix: `ct{N}/power|pf|current|voltage` for each enabled channel in
 * ascending order, `production/power|pf|current`, `home-consumption/power|current`, `net/power|current` and
 * `voltage`.
 */
export function figuresOf(reading: ReadingFigures): Figure[] {
  const figures: Figure[] = [];
  for (const [key, ct] of channelsInOrder(reading.cts)) {
    for (const field of CT_FIELDS) figures.push({ path: `ct${key}/${field}`, kind: field, value: ct[field] });
  }
  const { production, net } = reading;
  const home = reading['home-consumption'];
  figures.push(
    { path: 'production/power', kind: 'power', value: production.power },
    { path: 'production/pf', kind: 'pf', value: production.pf },
    { path: 'production/current', kind: 'current', value: production.current },
    { path: 'home-consumption/power', kind: 'power', value: home.power },
    { path: 'home-consumption/current', kind: 'current', value: home.current },
    { path: 'net/power', kind: 'power', value: net.power },
    { path: 'net/current', kind: 'current', value: net.current },
    { path: 'voltage', kind: 'voltage', value: reading.voltage },
  );
  return figures;
}
