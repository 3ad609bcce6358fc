import type { DiscoveryComponent, UnitOptions } from '@wattbus/shared';
import { selectorLevels } from '../catalogue/commands.js';
import { ColorSwitch } from '../catalogue/domoticz-types.js';
import { meterOf, type NumericKind, type UnitKind } from '../catalogue/unit-kind.js';

/**
 * The Home Assistant side of the catalogue: which entities a unit becomes. Values are read from the decoded fields
 * of the unit's retained state (`value_json.power`), never from sValue, so the formats are parsed in one place.
 */
export interface EntitySpec {
  component: DiscoveryComponent;
  /** Suffix of the ids for units with several entities (`energy`); absent for a unit's only entity. */
  key?: string;
  /** The entity's own name; null means "the device's name" (a unit with one entity). */
  name: string | null;
  /** True when the entity sends commands to the unit's set topic. */
  commands?: boolean;
  /** True when the entity reads the unit's state topic (everything except buttons). */
  state?: boolean;
  /** The component's own keys, with full names. */
  config: Record<string, unknown>;
}

export interface EntityUnit {
  type: number;
  subtype: number;
  switchtype: number;
  options: Readonly<UnitOptions>;
}

/** A numeric template that gives Home Assistant `None` (unknown) rather than an error while a value is missing. */
function fieldTemplate(field: string): string {
  return `{{ value_json.${field} | default(None) }}`;
}

interface Measurement {
  device_class?: string;
  unit_of_measurement?: string;
  state_class?: 'measurement' | 'total' | 'total_increasing';
  suggested_display_precision?: number;
}

function sensor(
  field: string,
  measurement: Measurement,
  key?: string,
  name: string | null = null,
): EntitySpec {
  return {
    component: 'sensor',
    key,
    name,
    state: true,
    config: { value_template: fieldTemplate(field), ...measurement },
  };
}

const POWER: Measurement = { device_class: 'power', unit_of_measurement: 'W', state_class: 'measurement' };
/** Energy-dashboard ready: kWh and total_increasing (measurement is refused for energy). */
const ENERGY: Measurement = {
  device_class: 'energy',
  unit_of_measurement: 'kWh',
  state_class: 'total_increasing',
  suggested_display_precision: 3,
};
const TEMPERATURE: Measurement = {
  device_class: 'temperature',
  unit_of_measurement: '°C',
  state_class: 'measurement',
};
const HUMIDITY: Measurement = {
  device_class: 'humidity',
  unit_of_measurement: '%',
  state_class: 'measurement',
};
const BAROMETER: Measurement = {
  device_class: 'atmospheric_pressure',
  unit_of_measurement: 'hPa',
  state_class: 'measurement',
};
const CURRENT: Measurement = {
  device_class: 'current',
  unit_of_measurement: 'A',
  state_class: 'measurement',
};
const WIND_SPEED: Measurement = {
  device_class: 'wind_speed',
  unit_of_measurement: 'm/s',
  state_class: 'measurement',
};

const numeric: Record<NumericKind, Measurement> = {
  temperature: TEMPERATURE,
  voltage: { device_class: 'voltage', unit_of_measurement: 'V', state_class: 'measurement' },
  current: CURRENT,
  percentage: { unit_of_measurement: '%', state_class: 'measurement' },
  pressure: { device_class: 'pressure', unit_of_measurement: 'bar', state_class: 'measurement' },
  sound_level: { device_class: 'sound_pressure', unit_of_measurement: 'dB', state_class: 'measurement' },
  distance: { device_class: 'distance', unit_of_measurement: 'cm', state_class: 'measurement' },
  visibility: { device_class: 'distance', unit_of_measurement: 'km', state_class: 'measurement' },
  solar_radiation: { device_class: 'irradiance', unit_of_measurement: 'W/m²', state_class: 'measurement' },
  // Centibars: Home Assistant's moisture class only takes %, so the unit stands alone.
  soil_moisture: { unit_of_measurement: 'cb', state_class: 'measurement' },
  leaf_wetness: { state_class: 'measurement' },
  waterflow: { device_class: 'volume_flow_rate', unit_of_measurement: 'L/min', state_class: 'measurement' },
  custom: { state_class: 'measurement' },
  illuminance: { device_class: 'illuminance', unit_of_measurement: 'lx', state_class: 'measurement' },
  weight: { device_class: 'weight', unit_of_measurement: 'kg', state_class: 'measurement' },
};

const binaryClasses: Partial<Record<UnitKind, string | undefined>> = {
  contact: 'opening',
  door: 'door',
  motion: 'motion',
  smoke: 'smoke',
  doorbell: undefined,
  dusk: 'light',
};

/** Domoticz's Custom sensor keeps its axis label in `Options={'Custom': '1;<axisUnits>'}`. */
function customUnit(options: Readonly<UnitOptions>): string | undefined {
  const label = options.Custom?.split(';').slice(1).join(';').trim();
  return label ? label : undefined;
}

function meterEntities(switchtype: number, options: Readonly<UnitOptions>): EntitySpec[] {
  switch (meterOf(switchtype)) {
    case 'energy':
    case 'energy_generated':
      return [sensor('energy', ENERGY)];
    case 'gas':
      return [
        sensor('gas', { device_class: 'gas', unit_of_measurement: 'm³', state_class: 'total_increasing' }),
      ];
    case 'water':
      return [
        sensor('water', {
          device_class: 'water',
          unit_of_measurement: 'm³',
          state_class: 'total_increasing',
        }),
      ];
    case 'time':
      return [
        sensor('counter', {
          device_class: 'duration',
          unit_of_measurement: 'min',
          state_class: 'total_increasing',
        }),
      ];
    default: {
      const unit = options.ValueUnits?.trim();
      return [
        sensor('counter', {
          state_class: 'total_increasing',
          ...(unit ? { unit_of_measurement: unit } : {}),
        }),
      ];
    }
  }
}

const ON_OFF_STATE = "{{ 'On' if value_json.state == 'ON' else 'Off' }}";

function light(unit: EntityUnit): EntitySpec {
  const config: Record<string, unknown> = {
    payload_on: 'On',
    payload_off: 'Off',
    state_value_template: ON_OFF_STATE,
    brightness_scale: 100,
    brightness_command_template: 'Set Level {{ value }}',
    brightness_value_template: fieldTemplate('level'),
    // Domoticz switches a dimmer on at the level it is given; sending "On" as well would be a second command.
    on_command_type: 'brightness',
  };
  const rgb = unit.subtype !== ColorSwitch.White && unit.subtype !== ColorSwitch.ColdWarmWhite;
  if (unit.type === 0xf1 && rgb) {
    config.rgb_command_template = 'Set Color {"m":3,"r":{{ red }},"g":{{ green }},"b":{{ blue }}}';
    config.rgb_value_template = "{{ (value_json.rgb | default([255, 255, 255])) | join(',') }}";
  }
  return { component: 'light', name: null, commands: true, state: true, config };
}

function select(options: Readonly<UnitOptions>): EntitySpec {
  const hideOff = options.LevelOffHidden?.trim().toLowerCase() === 'true';
  const levels = selectorLevels(options).filter((entry) => !(hideOff && entry.level === 0));
  const toLevel = Object.fromEntries(levels.map((entry) => [entry.name, entry.level]));
  const toName = Object.fromEntries(levels.map((entry) => [String(entry.level), entry.name]));
  return {
    component: 'select',
    name: null,
    commands: true,
    state: true,
    config: {
      options: levels.map((entry) => entry.name),
      command_template: `{% set levels = ${JSON.stringify(toLevel)} %}Set Level {{ levels[value] }}`,
      value_template: `{% set names = ${JSON.stringify(toName)} %}{{ names.get(value_json.level | int | string, None) }}`,
    },
  };
}

function setpoint(options: Readonly<UnitOptions>): EntitySpec {
  const number = (key: string, fallback: number) => {
    const value = Number(options[key]);
    return options[key] !== undefined && Number.isFinite(value) ? value : fallback;
  };
  const unit = options.ValueUnit?.trim() || '°C';
  return {
    component: 'number',
    name: null,
    commands: true,
    state: true,
    config: {
      command_template: 'Set Level {{ value }}',
      value_template: fieldTemplate('value'),
      min: number('ValueMin', 5),
      max: number('ValueMax', 35),
      step: number('ValueStep', 0.5),
      mode: 'box',
      unit_of_measurement: unit,
      ...(unit === '°C' || unit === '°F' ? { device_class: 'temperature' } : {}),
    },
  };
}

/** The entities of a unit, by kind. Every kind maps to at least one entity. */
export function entitiesOf(kind: UnitKind, unit: EntityUnit): EntitySpec[] {
  if (kind in numeric) {
    const measurement = numeric[kind as NumericKind];
    const custom = kind === 'custom' ? customUnit(unit.options) : undefined;
    return [sensor('value', custom ? { ...measurement, unit_of_measurement: custom } : measurement)];
  }
  if (kind in binaryClasses) {
    const deviceClass = binaryClasses[kind];
    return [
      {
        component: 'binary_sensor',
        name: null,
        state: true,
        config: {
          value_template: '{{ value_json.state }}',
          payload_on: 'ON',
          payload_off: 'OFF',
          ...(deviceClass ? { device_class: deviceClass } : {}),
        },
      },
    ];
  }
  switch (kind) {
    case 'switch':
    case 'blinds':
      return [
        {
          component: 'switch',
          name: null,
          commands: true,
          state: true,
          config: {
            value_template: '{{ value_json.state }}',
            state_on: 'ON',
            state_off: 'OFF',
            payload_on: 'On',
            payload_off: 'Off',
          },
        },
      ];
    case 'dimmer':
    case 'color':
      return [light(unit)];
    case 'selector':
      return [select(unit.options)];
    case 'setpoint':
      return [setpoint(unit.options)];
    case 'push_on':
    case 'push_off':
      return [
        {
          component: 'button',
          name: null,
          commands: true,
          config: { payload_press: kind === 'push_on' ? 'On' : 'Off' },
        },
      ];
    case 'text':
    case 'alert':
      // A Home Assistant state holds at most 255 characters.
      return [sensor('value', {}, undefined, null)].map((entity) => ({
        ...entity,
        config: { value_template: '{{ value_json.value[:255] }}' },
      }));
    case 'kwh':
      return [sensor('power', POWER, 'power', 'Power'), sensor('energy', ENERGY, 'energy', 'Energy')];
    case 'usage':
      return [sensor('power', POWER)];
    case 'counter_incremental':
    case 'counter':
    case 'managed_counter':
      return meterEntities(unit.switchtype, unit.options);
    case 'p1':
      return [
        sensor('import_energy', ENERGY, 'import', 'Energy import'),
        sensor('export_energy', ENERGY, 'export', 'Energy export'),
        sensor('power', POWER, 'power', 'Power'),
        sensor('return_power', POWER, 'return-power', 'Return power'),
      ];
    case 'gas':
      return [
        sensor('gas', { device_class: 'gas', unit_of_measurement: 'm³', state_class: 'total_increasing' }),
      ];
    case 'humidity':
      return [sensor('humidity', HUMIDITY)];
    case 'temp_hum':
      return [
        sensor('temperature', TEMPERATURE, 'temperature', 'Temperature'),
        sensor('humidity', HUMIDITY, 'humidity', 'Humidity'),
      ];
    case 'temp_hum_baro':
      return [
        sensor('temperature', TEMPERATURE, 'temperature', 'Temperature'),
        sensor('humidity', HUMIDITY, 'humidity', 'Humidity'),
        sensor('pressure', BAROMETER, 'pressure', 'Pressure'),
      ];
    case 'temp_baro':
      return [
        sensor('temperature', TEMPERATURE, 'temperature', 'Temperature'),
        sensor('pressure', BAROMETER, 'pressure', 'Pressure'),
      ];
    case 'barometer':
      return [sensor('pressure', BAROMETER)];
    case 'rain':
      return [
        sensor(
          'rain_rate',
          {
            device_class: 'precipitation_intensity',
            unit_of_measurement: 'mm/h',
            state_class: 'measurement',
          },
          'rate',
          'Rain rate',
        ),
        sensor(
          'rain',
          { device_class: 'precipitation', unit_of_measurement: 'mm', state_class: 'total_increasing' },
          'total',
          'Rain',
        ),
      ];
    case 'wind': {
      const wind = [
        sensor('wind_speed', WIND_SPEED, 'speed', 'Wind speed'),
        sensor('wind_gust', WIND_SPEED, 'gust', 'Wind gust'),
        sensor('wind_bearing', { unit_of_measurement: '°' }, 'bearing', 'Wind bearing'),
      ];
      if (unit.subtype === 4) wind.push(sensor('temperature', TEMPERATURE, 'temperature', 'Temperature'));
      return wind;
    }
    case 'uv':
      return [sensor('uv', { unit_of_measurement: 'UV index', state_class: 'measurement' })];
    case 'current3':
      return [
        sensor('current_l1', CURRENT, 'l1', 'Current L1'),
        sensor('current_l2', CURRENT, 'l2', 'Current L2'),
        sensor('current_l3', CURRENT, 'l3', 'Current L3'),
      ];
    case 'air_quality':
      return [
        sensor('value', {
          device_class: 'carbon_dioxide',
          unit_of_measurement: 'ppm',
          state_class: 'measurement',
        }),
      ];
    default:
      // A raw type wattbus does not know: its sValue as text, so it is still visible.
      return [
        {
          component: 'sensor',
          name: null,
          state: true,
          config: { value_template: '{{ value_json.sValue[:255] }}' },
        },
      ];
  }
}
