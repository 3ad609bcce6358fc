import { channelsInOrder, type Reading } from '@wattbus/shared/contract/readings.js';
import type { Point } from './line-protocol.js';

/** The parts of a reading the reference's InfluxDB schema stores (power-calculation.md sections 4 and 9). */
export type ReadingForInflux = Omit<Reading, 'timestamp' | 'frequency'>;

/** The reference's `net` status tag: the sign of net power says whether the home exports or imports. */
export function netStatus(power: number): 'Producing' | 'Consuming' | 'No data' {
  if (power < 0) return 'Producing';
  if (power > 0) return 'Consuming';
  return 'No data';
}

/**
 * One set of points for a reading in the reference's schema, every point tagged `id = [general] name`:
 * `home_load` (power, current), `solar` (power, current, pf), `net` (power, current; `status` tag), `voltages`
 * (voltage; `v_input = 0`) and one `raw_cts` point per channel (power, current, pf; `ct = N`).
 */
export function pointsOf(reading: ReadingForInflux, site: string, time: number): Point[] {
  const id = site;
  const home = reading['home-consumption'];
  const points: Point[] = [
    { measurement: 'home_load', tags: { id }, fields: { power: home.power, current: home.current }, time },
    {
      measurement: 'solar',
      tags: { id },
      fields: {
        power: reading.production.power,
        current: reading.production.current,
        pf: reading.production.pf,
      },
      time,
    },
    {
      measurement: 'net',
      tags: { id, status: netStatus(reading.net.power) },
      fields: { power: reading.net.power, current: reading.net.current },
      time,
    },
    { measurement: 'voltages', tags: { id, v_input: '0' }, fields: { voltage: reading.voltage }, time },
  ];
  for (const [ct, figures] of channelsInOrder(reading.cts)) {
    points.push({
      measurement: 'raw_cts',
      tags: { id, ct },
      fields: { power: figures.power, current: figures.current, pf: figures.pf },
      time,
    });
  }
  return points;
}
