import { z } from 'zod';

/** How to talk to a smart plug's HTTP JSON API: what to GET, and where the figures are in the answer. */
export interface PlugApi {
  /** GET path answering JSON with the power, energy and relay state. */
  status: string;
  /** Dotted path to the power in W (`meters.0.power`). */
  power: string;
  /** Dotted path to the plug's own energy counter, or "" when it has none (the registry then integrates power). */
  energy: string;
  energyUnit: EnergyUnit;
  /** Dotted path to the relay state: true/false, 1/0 or "on"/"off". */
  relay: string;
  /** GET paths that switch the relay. */
  on: string;
  off: string;
}

export const ENERGY_UNITS = ['Wh', 'kWh', 'Wmin'] as const;
export type EnergyUnit = (typeof ENERGY_UNITS)[number];

/** Wh per unit of each counter unit (Shelly Gen1 counts watt-minutes). */
const WH_PER_UNIT: Record<EnergyUnit, number> = { Wh: 1, kWh: 1000, Wmin: 1 / 60 };

/** Built-in API shapes; `{channel}` stands for the relay or meter number. */
export const PRESETS = {
  /** Shelly Plus / Pro (Gen2+ RPC API). The default. */
  shelly_gen2: {
    status: '/rpc/Switch.GetStatus?id={channel}',
    power: 'apower',
    energy: 'aenergy.total',
    energyUnit: 'Wh',
    relay: 'output',
    on: '/rpc/Switch.Set?id={channel}&on=true',
    off: '/rpc/Switch.Set?id={channel}&on=false',
  },
  /** Shelly Plug / Plug S / 1PM (Gen1 API). */
  shelly_gen1: {
    status: '/status',
    power: 'meters.{channel}.power',
    energy: 'meters.{channel}.total',
    energyUnit: 'Wmin',
    relay: 'relays.{channel}.ison',
    on: '/relay/{channel}?turn=on',
    off: '/relay/{channel}?turn=off',
  },
  /** Tasmota with an energy monitor (single relay). */
  tasmota: {
    status: '/cm?cmnd=Status%200',
    power: 'StatusSNS.ENERGY.Power',
    energy: 'StatusSNS.ENERGY.Total',
    energyUnit: 'kWh',
    relay: 'Status.Power',
    on: '/cm?cmnd=Power%20On',
    off: '/cm?cmnd=Power%20Off',
  },
} as const satisfies Record<string, PlugApi>;
export type PresetName = keyof typeof PRESETS | 'custom';

const Path = z.string().regex(/^\/\S*$/, 'must be a path starting with "/"');
const JsonPath = z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, 'must be a dotted path such as "meters.0.power"');

/** A custom API shape, given as JSON in the plugin's `mode3` parameter; missing keys come from Shelly Gen2. */
export const CustomApi = z.strictObject({
  status: Path.optional(),
  power: JsonPath.optional(),
  energy: z.union([JsonPath, z.literal('')]).optional(),
  energy_unit: z.enum(ENERGY_UNITS, { error: `must be one of ${ENERGY_UNITS.join(', ')}` }).optional(),
  relay: JsonPath.optional(),
  on: Path.optional(),
  off: Path.optional(),
});

/** The API for a preset and relay channel; `custom` overrides the default preset with `customJson`. */
export function resolveApi(preset: PresetName, channel: number, customJson: string): PlugApi | string {
  let api: PlugApi = { ...PRESETS[preset === 'custom' ? 'shelly_gen2' : preset] };
  if (preset === 'custom') {
    let raw: unknown;
    try {
      raw = JSON.parse(customJson || '{}');
    } catch (error) {
      return `mode3 (custom API) is not valid JSON: ${(error as Error).message}`;
    }
    const parsed = CustomApi.safeParse(raw);
    if (!parsed.success) {
      return `mode3 (custom API): ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'value'} ${issue.message}`).join('; ')}`;
    }
    const { energy_unit, ...rest } = parsed.data;
    api = { ...api, ...rest, ...(energy_unit ? { energyUnit: energy_unit } : {}) };
  }
  const fill = (text: string) => text.replaceAll('{channel}', String(channel));
  return {
    ...api,
    status: fill(api.status),
    power: fill(api.power),
    energy: fill(api.energy),
    relay: fill(api.relay),
    on: fill(api.on),
    off: fill(api.off),
  };
}

function valueAt(document: unknown, path: string): unknown {
  let value = document;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function numberAt(document: unknown, path: string): number | undefined {
  const value = valueAt(document, path);
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

function switchStateAt(document: unknown, path: string): boolean | undefined {
  const value = valueAt(document, path);
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === '1') return true;
  if (value === 0 || value === '0') return false;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'on' || lower === 'true') return true;
    if (lower === 'off' || lower === 'false') return false;
  }
  return undefined;
}

/** What one status answer says. */
export interface PlugStatus {
  /** W. */
  power: number;
  /** The plug's counter in Wh, when it has one. */
  energyWh: number | undefined;
  on: boolean;
}

/** Reads a status answer; a string explains what is missing, naming the path looked at. */
export function readStatus(api: PlugApi, body: string): PlugStatus | string {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return `the plug's answer is not JSON: ${JSON.stringify(body.slice(0, 80))}`;
  }
  const power = numberAt(document, api.power);
  if (power === undefined) return `the plug's answer has no number at "${api.power}" (power)`;
  const on = switchStateAt(document, api.relay);
  if (on === undefined) return `the plug's answer has no on/off state at "${api.relay}" (relay)`;
  let energyWh: number | undefined;
  if (api.energy) {
    const energy = numberAt(document, api.energy);
    if (energy === undefined) return `the plug's answer has no number at "${api.energy}" (energy)`;
    energyWh = energy * WH_PER_UNIT[api.energyUnit];
  }
  return { power, energyWh, on };
}
