/**
 * The wattbus example plugin (Domoticz style). It shows the three things a plugin does with the bus:
 * - it reads the live readings and energy counters, and feeds a kWh unit from them;
 * - it creates and updates its units through the device registry (it never talks to the registry directly);
 * - it receives commands for its units: the switch follows On, Off and Toggle sent to its `set` topic.
 *
 * Units (DeviceID "example"):
 *   unit 1: "Home energy", a kWh meter: sValue "<power W>;<energy Wh>"
 *   unit 2: "Example switch", an On/Off switch
 */
import {
  type Color,
  definePlugin,
  devices,
  domoticz,
  type LiveEnergy,
  type LiveReading,
  parameters,
  Unit,
} from '@wattbus/plugin-runner';

export const DEVICE_ID = 'example';
export const METER_UNIT = 1;
export const SWITCH_UNIT = 2;

type Source = 'home-consumption' | 'production' | 'net';
const ENERGY_OF: Record<Source, 'home' | 'production' | 'net'> = {
  'home-consumption': 'home',
  production: 'production',
  net: 'net',
};

export const definition = definePlugin({
  key: 'example',
  name: 'wattbus example',
  version: '1.0.0',
  author: 'wattbus',
  description:
    'Meters one figure of the live readings as a kWh unit and offers a switch that follows commands.',
  params: [
    {
      field: 'mode1',
      label: 'Figure to meter',
      options: [
        { label: 'Home consumption', value: 'home-consumption', default: true },
        { label: 'Solar production', value: 'production' },
        { label: 'Grid (net)', value: 'net' },
      ],
    },
    { field: 'mode2', label: 'Seconds between meter updates', default: '10' },
  ],
});

let power: number | undefined;
let energyWh = 0;
let lastMeterUpdate = 0;

function source(): Source {
  return parameters.mode1 as Source;
}

function unit(number: number): Unit | undefined {
  return devices[DEVICE_ID]?.units[number];
}

export async function onStart(): Promise<void> {
  const interval = Number(parameters.mode2);
  domoticz.heartbeat(Number.isFinite(interval) && interval > 0 ? interval : 10);
  if (!unit(METER_UNIT)) {
    await new Unit({
      name: 'Home energy',
      deviceId: DEVICE_ID,
      unit: METER_UNIT,
      typeName: 'kWh',
      used: true,
    }).create();
  }
  if (!unit(SWITCH_UNIT)) {
    await new Unit({
      name: 'Example switch',
      deviceId: DEVICE_ID,
      unit: SWITCH_UNIT,
      typeName: 'Switch',
      used: true,
    }).create();
  }
  domoticz.log(`metering ${source()}; units ready`);
}

/** Each reading: keep the figure; the first one updates the meter at once, later ones wait for the heartbeat. */
export async function onReading(reading: LiveReading): Promise<void> {
  power = reading[source()]?.power;
  if (lastMeterUpdate === 0) await updateMeter();
}

export function onEnergy(energy: LiveEnergy): void {
  energyWh = energy[ENERGY_OF[source()]]?.import_wh ?? energyWh;
}

export async function onHeartbeat(): Promise<void> {
  await updateMeter();
}

async function updateMeter(): Promise<void> {
  const meter = unit(METER_UNIT);
  if (!meter || power === undefined) return;
  meter.nValue = 0;
  meter.sValue = `${Math.round(power * 10) / 10};${Math.round(energyWh)}`;
  lastMeterUpdate = Date.now();
  await meter.update();
}

export async function onCommand(
  deviceId: string,
  unitNumber: number,
  command: string,
  _level: number,
  _color: Color | null,
): Promise<void> {
  const target = unit(unitNumber);
  if (deviceId !== DEVICE_ID || unitNumber !== SWITCH_UNIT || !target) {
    domoticz.error(`no switch at ${deviceId}/${unitNumber}; ignoring ${command}`);
    return;
  }
  const on = command === 'Toggle' ? target.nValue === 0 : command === 'On';
  if (!['On', 'Off', 'Toggle'].includes(command)) {
    domoticz.error(`the example switch does not understand ${JSON.stringify(command)}`);
    return;
  }
  target.nValue = on ? 1 : 0;
  target.sValue = on ? 'On' : 'Off';
  await target.update();
  domoticz.log(`switch turned ${target.sValue}`);
}

export function onStop(): void {
  domoticz.log('stopping');
}
