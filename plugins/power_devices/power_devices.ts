import {
  definePlugin,
  devices,
  domoticz,
  type JsonValue,
  latestEnergy,
  latestReading,
  parameters,
  Unit,
} from '@wattbus/plugin-runner';
import { enabledChannels } from '@wattbus/shared';
import { siteConfig } from '../lib/site-config.js';
import { frequencyUnit, type PlannedUnit, planUnits, UNIT } from './unit-plan.js';
import { type EnergyFigures, type ReadingFigures, sValueOf } from './unit-values.js';

/**
 * power_devices: puts the power monitor into the registry, and so into Home Assistant. One Device per channel
 * (each enabled CT, home consumption, production, net, the grid) with kWh, voltage, current and power factor
 * units named after config.toml's channels, updated every heartbeat.
 */

const seconds = (values: number[], fallback: number) =>
  values.map((value) => ({
    label: `${value} s`,
    value: String(value),
    default: value === fallback ? true : undefined,
  }));

export const definition = definePlugin({
  key: 'power_devices',
  name: 'Power monitor devices',
  version: '1.0.0',
  author: 'wattbus',
  description:
    'Units for every enabled CT channel, home consumption, production, net (grid import and export) and the grid voltage.',
  params: [
    {
      field: 'mode1',
      label: 'Update interval',
      options: seconds([2, 5, 10, 30, 60, 300], 10),
      description:
        'How often the units are updated. Readings arrive about twice a second; the units need not.',
    },
    { field: 'mode2', label: 'Home consumption name', default: 'Home consumption' },
    { field: 'mode3', label: 'Production name', default: 'Production' },
    { field: 'mode4', label: 'Net name', default: 'Net' },
    { field: 'mode5', label: 'Grid name', default: 'Grid' },
    {
      field: 'mode6',
      label: 'Time out after',
      options: [...seconds([30, 60, 300, 900], 60), { label: 'never', value: '0' }],
      description: 'Devices are marked TimedOut when the newest reading is older than this.',
    },
  ],
});

/** The units this instance keeps, and whether the sampler's readings have gone stale. */
let planned: PlannedUnit[] = [];
let staleAfterMs = 0;
let timedOut = false;
let waitingForEnergy = true;

const unitKey = (unit: { deviceId: string; unit: number }) => `${unit.deviceId}/${unit.unit}`;

const gridName = () => parameters.mode5 || 'Grid';

function hasReading(): boolean {
  return latestReading.timestamp !== undefined;
}

/** What power_devices remembers of a unit's name: the config.toml name it was made from, and the name it got. */
interface GivenName {
  source: string;
  actual: string;
}

/**
 * Creates the planned units that do not exist yet. An existing unit whose config.toml name changed is renamed,
 * unless it was renamed in the registry since power_devices named it: the names given are kept in the plugin's
 * Configuration to tell the two apart. As in Domoticz, a new unit's name starts with the hardware name.
 */
async function ensureUnits(units: readonly PlannedUnit[]): Promise<void> {
  const stored = domoticz.configuration();
  const given = { ...((stored.names as unknown as Record<string, GivenName> | undefined) ?? {}) };
  const missing = units.filter((plan) => !devices[plan.deviceId]?.units[plan.unit]);
  // Created together: the registry commits a burst of requests at once.
  await Promise.all(
    missing.map(async (plan) => {
      const unit = new Unit({
        name: plan.name,
        deviceId: plan.deviceId,
        unit: plan.unit,
        typeName: plan.typeName,
        options: plan.options,
        used: true,
      });
      await unit.create();
      given[unitKey(plan)] = { source: plan.name, actual: unit.name };
      domoticz.log(`created ${plan.typeName} unit "${unit.name}" (${unitKey(plan)})`);
    }),
  );
  for (const plan of units) {
    const key = unitKey(plan);
    const existing = devices[plan.deviceId]?.units[plan.unit];
    const previous = given[key];
    if (!existing || missing.includes(plan)) continue;
    if (!previous) {
      given[key] = { source: plan.name, actual: existing.name };
    } else if (previous.source !== plan.name && previous.actual === existing.name) {
      const name = `${parameters.name} - ${plan.name}`;
      domoticz.log(
        `renaming unit ${key} from "${existing.name}" to "${name}" (its name in config.toml changed)`,
      );
      existing.name = name;
      await existing.update();
      given[key] = { source: plan.name, actual: existing.name };
    }
    // Otherwise the unit keeps the name someone gave it in the registry.
  }
  await domoticz.configuration({ ...stored, names: given as unknown as JsonValue });
}

export async function onStart(): Promise<void> {
  const config = siteConfig();
  const interval = Number(parameters.mode1);
  staleAfterMs = Number(parameters.mode6) * 1000;
  const cts = enabledChannels(config.current_transformers).map((channel) => ({
    number: channel.number,
    name: channel.name ?? `CT ${channel.number}`,
  }));
  planned = planUnits(
    {
      cts,
      home: parameters.mode2 || 'Home consumption',
      production: parameters.mode3 || 'Production',
      net: parameters.mode4 || 'Net',
      grid: gridName(),
    },
    { frequency: false },
  );
  await ensureUnits(planned);

  const wanted = new Set(planned.map((plan) => plan.deviceId));
  for (const deviceId of Object.keys(devices)) {
    if (!wanted.has(deviceId)) {
      domoticz.status(
        `device ${deviceId} belongs to a channel that is no longer enabled in config.toml; it keeps its history until you delete it from the registry`,
      );
    }
  }
  domoticz.heartbeat(interval);
  domoticz.status(
    `keeping ${planned.length} units of ${cts.length} CT channels, updated every ${interval} s`,
  );
  await onHeartbeat();
}

/** Marks every device of this plugin TimedOut while the readings are stale, and clears the flag when they resume. */
async function setTimedOut(value: boolean): Promise<void> {
  if (timedOut === value) return;
  timedOut = value;
  const ids = [...new Set(planned.map((plan) => plan.deviceId))];
  await Promise.all(ids.map((id) => devices[id]?.setTimedOut(value)));
  if (value)
    domoticz.error(
      `no reading for more than ${staleAfterMs / 1000} s (is the sampler running?): devices marked TimedOut`,
    );
  else domoticz.status('readings are back: devices no longer TimedOut');
}

export async function onHeartbeat(): Promise<void> {
  if (!hasReading()) return;
  const reading = latestReading as unknown as ReadingFigures;
  const age = Date.now() - Date.parse(latestReading.timestamp);
  if (staleAfterMs > 0 && age > staleAfterMs) return setTimedOut(true);
  await setTimedOut(false);

  // The sampler measures frequency only in some modes: its unit appears with the first reading that has it.
  if (reading.frequency !== undefined && !planned.some((plan) => plan.unit === UNIT.frequency)) {
    const frequency = frequencyUnit(gridName());
    await ensureUnits([frequency]);
    planned.push(frequency);
  }

  const energy =
    latestEnergy.timestamp === undefined ? undefined : (latestEnergy as unknown as EnergyFigures);
  if (!energy && waitingForEnergy) {
    waitingForEnergy = false;
    domoticz.status('no energy counters yet (<base>/energy): kWh units wait for them');
  }
  await Promise.all(
    planned.map(async (plan) => {
      const unit = devices[plan.deviceId]?.units[plan.unit];
      const sValue = sValueOf(plan, reading, energy);
      // Unchanged values are not sent: the registry and Home Assistant see only real changes.
      if (!unit || sValue === undefined || (unit.sValue === sValue && unit.nValue === 0)) return;
      unit.nValue = 0;
      unit.sValue = sValue;
      await unit.update();
    }),
  );
}
