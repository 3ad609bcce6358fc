import {
  Connection,
  type ConnectionTarget,
  definePlugin,
  devices,
  domoticz,
  type HttpResponse,
  type JsonValue,
  parameters,
  Unit,
} from '@wattbus/plugin-runner';
import { type CounterState, MonotonicCounter } from './monotonic-counter.js';
import { type PlugApi, type PresetName, readStatus, resolveApi } from './plug-api.js';

/**
 * http_switch: a smart plug on the local network, Domoticz style. Every heartbeat it GETs the plug's status over
 * a Connection (HTTP protocol), reports the power and energy as a kWh unit and the relay as a switch, switches the
 * relay from onCommand, and marks the device TimedOut when the plug stops answering.
 */

export const definition = definePlugin({
  key: 'http_switch',
  name: 'HTTP smart plug',
  version: '1.0.0',
  author: 'wattbus',
  description: 'A smart plug with an HTTP JSON API (Shelly, Tasmota or your own): its relay and its power.',
  params: [
    {
      field: 'address',
      label: 'Plug address',
      required: true,
      description: 'IP address or host name of the plug.',
    },
    { field: 'port', label: 'Port', default: '80' },
    { field: 'username', label: 'Username' },
    { field: 'password', label: 'Password', password: true },
    {
      field: 'mode1',
      label: 'Plug API',
      options: [
        { label: 'Shelly Plus / Pro (Gen2 RPC)', value: 'shelly_gen2', default: true },
        { label: 'Shelly Plug / 1PM (Gen1)', value: 'shelly_gen1' },
        { label: 'Tasmota', value: 'tasmota' },
        { label: 'Custom (JSON in mode3)', value: 'custom' },
      ],
    },
    { field: 'mode2', label: 'Relay channel', default: '0' },
    {
      field: 'mode3',
      label: 'Custom API',
      default: '',
      description:
        'JSON with status, power, energy, energy_unit, relay, on and off (see the README); missing keys come from Shelly Gen2.',
    },
    {
      field: 'mode4',
      label: 'Poll every',
      options: [1, 5, 10, 30, 60].map((seconds) => ({
        label: `${seconds} s`,
        value: String(seconds),
        default: seconds === 10 ? true : undefined,
      })),
    },
    {
      field: 'mode5',
      label: 'TimedOut after missed polls',
      options: [1, 2, 3, 5].map((count) => ({
        label: String(count),
        value: String(count),
        default: count === 2 ? true : undefined,
      })),
    },
  ],
});

const DEVICE = 'plug';
const RELAY = 1;
const POWER = 2;
/** The energy counter's state is saved this often (in polls), and at every counter reset and on stop. */
const SAVE_EVERY_POLLS = 60;

let api: PlugApi | undefined;
let counter: MonotonicCounter;
let poller: StatusPoller | undefined;
let pollsSinceSave = 0;
/** Commands under way: a Connection nobody references is closed, as in Domoticz. */
const commands = new Set<RelayCommand>();

const relayUnit = () => devices[DEVICE]?.units[RELAY];
const powerUnit = () => devices[DEVICE]?.units[POWER];

function connectionTimeoutMs(): number {
  return Math.max(250, Math.min(5000, Number(parameters.mode4) * 1000));
}

function newConnection(name: string): Connection {
  return new Connection({
    name,
    transport: 'TCP/IP',
    protocol: 'HTTP',
    address: parameters.address,
    port: parameters.port || '80',
  });
}

async function saveCounter(): Promise<void> {
  pollsSinceSave = 0;
  const stored = domoticz.configuration();
  await domoticz.configuration({ ...stored, energy: counter.saved as unknown as JsonValue });
}

async function setTimedOut(value: boolean): Promise<void> {
  const device = devices[DEVICE];
  if (!device || device.timedOut === value) return;
  await device.setTimedOut(value);
  if (value) domoticz.error(`the plug at ${parameters.address} does not answer: marked TimedOut`);
  else domoticz.status(`the plug at ${parameters.address} answers again`);
}

async function showStatus(body: string): Promise<void> {
  const status = readStatus(api!, body);
  if (typeof status === 'string') {
    domoticz.error(status);
    return;
  }
  const relay = relayUnit();
  const nValue = status.on ? 1 : 0;
  if (relay && (relay.nValue !== nValue || relay.sValue !== (status.on ? 'On' : 'Off'))) {
    relay.nValue = nValue;
    relay.sValue = status.on ? 'On' : 'Off';
    await relay.update();
  }
  const power = powerUnit();
  if (power) {
    let energy = '0';
    if (status.energyWh !== undefined) {
      const { totalWh, reset } = counter.update(status.energyWh);
      energy = totalWh.toFixed(1);
      if (reset) {
        domoticz.status('the plug restarted its energy counter; the unit carries on from its total');
        await saveCounter();
      } else if (++pollsSinceSave >= SAVE_EVERY_POLLS) {
        await saveCounter();
      }
    }
    const sValue = `${status.power.toFixed(1)};${energy}`;
    if (power.sValue !== sValue) {
      power.nValue = 0;
      power.sValue = sValue;
      await power.update();
    }
  }
}

/**
 * One HTTP connection polling the status: connect if needed, GET the status path, read the answer. A poll that
 * fails (refused, timed out, no answer by the next heartbeat, an HTTP error) counts as missed; after `mode5`
 * misses in a row the device is TimedOut until an answer arrives.
 */
class StatusPoller implements ConnectionTarget {
  private readonly connection = newConnection('status');
  private waiting = false;
  private missed = 0;

  poll(): void {
    if (this.waiting) {
      // The last request got no answer within a heartbeat: start afresh.
      this.failed('no answer');
      this.connection.disconnect();
    }
    this.waiting = true;
    if (this.connection.connected()) this.request();
    else if (!this.connection.connecting())
      this.connection.connect({ target: this, timeout: connectionTimeoutMs() });
  }

  private request(): void {
    this.connection.send({ verb: 'GET', url: api!.status, headers: { Accept: 'application/json' } });
  }

  private failed(reason: string): Promise<void> {
    this.waiting = false;
    this.missed++;
    domoticz.debug(`status poll failed (${reason}); ${this.missed} missed in a row`);
    return this.missed >= Number(parameters.mode5) ? setTimedOut(true) : Promise.resolve();
  }

  onConnect(_connection: Connection, status: number, description: string): unknown {
    if (status !== 0) return this.failed(`cannot connect: ${description}`);
    if (this.waiting) this.request();
    return undefined;
  }

  async onMessage(_connection: Connection, data: unknown): Promise<void> {
    const response = data as HttpResponse;
    if (response.status !== '200') {
      await this.failed(`HTTP ${response.status} ${response.statusText}`);
      return;
    }
    this.waiting = false;
    this.missed = 0;
    await setTimedOut(false);
    await showStatus(response.data.toString('utf8'));
  }

  onTimeout(connection: Connection): unknown {
    connection.disconnect();
    return this.failed('timed out');
  }

  stop(): void {
    this.connection.disconnect();
  }
}

/** One switching request on its own connection, so it never waits behind a status poll. */
class RelayCommand implements ConnectionTarget {
  private readonly connection = newConnection('command');

  constructor(private readonly on: boolean) {
    commands.add(this);
    this.connection.connect({ target: this, timeout: connectionTimeoutMs() });
  }

  onConnect(connection: Connection, status: number, description: string): void {
    if (status !== 0) {
      commands.delete(this);
      domoticz.error(`cannot switch the plug ${this.on ? 'on' : 'off'}: ${description}`);
      return;
    }
    connection.send({
      verb: 'GET',
      url: this.on ? api!.on : api!.off,
      headers: { Accept: 'application/json' },
    });
  }

  async onMessage(connection: Connection, data: unknown): Promise<void> {
    const response = data as HttpResponse;
    commands.delete(this);
    connection.disconnect();
    if (response.status !== '200') {
      domoticz.error(
        `the plug refused to switch ${this.on ? 'on' : 'off'}: HTTP ${response.status} ${response.statusText}`,
      );
      return;
    }
    const relay = relayUnit();
    if (relay) {
      relay.nValue = this.on ? 1 : 0;
      relay.sValue = this.on ? 'On' : 'Off';
      await relay.update();
    }
    // The status (power follows the relay) is read again at once rather than at the next heartbeat.
    poller?.poll();
  }

  onTimeout(connection: Connection): void {
    commands.delete(this);
    connection.disconnect();
    domoticz.error(`the plug did not answer the request to switch ${this.on ? 'on' : 'off'}`);
  }
}

export async function onStart(): Promise<void> {
  const resolved = resolveApi(
    parameters.mode1 as PresetName,
    Number(parameters.mode2) || 0,
    parameters.mode3,
  );
  if (typeof resolved === 'string') {
    domoticz.error(`${resolved}; the plugin does nothing until this is fixed`);
    return;
  }
  api = resolved;
  if (!relayUnit()) {
    await new Unit({ name: 'Relay', deviceId: DEVICE, unit: RELAY, typeName: 'Switch', used: true }).create();
  }
  if (!powerUnit()) {
    // Without its own counter the plug's energy is integrated from its power by the registry.
    const options: Record<string, string> = api.energy ? {} : { EnergyMeterMode: '1' };
    await new Unit({
      name: 'Power',
      deviceId: DEVICE,
      unit: POWER,
      typeName: 'kWh',
      options,
      used: true,
    }).create();
  }
  const shownWh = Number(powerUnit()?.sValue.split(';')[1]);
  counter = new MonotonicCounter(
    domoticz.configuration().energy as Partial<CounterState> | undefined,
    shownWh || 0,
  );
  domoticz.heartbeat(Number(parameters.mode4));
  poller = new StatusPoller();
  poller.poll();
  domoticz.status(
    `polling ${parameters.address}:${parameters.port || '80'}${api.status} every ${parameters.mode4} s`,
  );
}

export function onHeartbeat(): void {
  poller?.poll();
}

export function onCommand(deviceId: string, unit: number, command: string): void {
  if (!api || deviceId !== DEVICE || unit !== RELAY) return;
  const verb = command.trim().toLowerCase();
  if (verb !== 'on' && verb !== 'off' && verb !== 'toggle') {
    domoticz.error(`the relay understands On, Off and Toggle, not ${JSON.stringify(command)}`);
    return;
  }
  commands.add(new RelayCommand(verb === 'toggle' ? relayUnit()?.nValue !== 1 : verb === 'on'));
}

export async function onStop(): Promise<void> {
  poller?.stop();
  poller = undefined;
  if (api) await saveCounter();
}
