import type { Color, UnitCommand, UnitOptions } from '@wattbus/shared';
import type { UnitKind } from './unit-kind.js';

/** A command as a plugin's onCommand receives it: Command, Level and Color (Domoticz's "Hue"). */
export interface ResolvedCommand {
  command: string;
  level: number;
  color: Color | null;
}

export type CommandOutcome = ({ ok: true } & ResolvedCommand) | { ok: false; error: string };

export interface CommandTarget {
  kind: UnitKind;
  nValue: number;
  options: UnitOptions;
}

/** Domoticz's spelling of each command; what a client sends is matched without regard to case or spacing. */
const CANONICAL = ['On', 'Off', 'Toggle', 'Set Level', 'Set Color', 'Open', 'Close', 'Stop'];
const canonical = new Map(CANONICAL.map((name) => [name.toLowerCase(), name]));

const ON_OFF = ['On', 'Off', 'Toggle'];
const accepted: Partial<Record<UnitKind, string[]>> = {
  switch: ON_OFF,
  contact: ON_OFF,
  door: ON_OFF,
  motion: ON_OFF,
  smoke: ON_OFF,
  doorbell: ON_OFF,
  dusk: ON_OFF,
  push_on: ['On'],
  push_off: ['Off'],
  dimmer: [...ON_OFF, 'Set Level'],
  blinds: [...ON_OFF, 'Open', 'Close', 'Stop', 'Set Level'],
  color: [...ON_OFF, 'Set Level', 'Set Color'],
  selector: [...ON_OFF, 'Set Level'],
  setpoint: ['Set Level'],
};

/** The levels a selector switch offers: 0, 10, 20, ... one per name in `LevelNames`. */
export function selectorLevels(options: UnitOptions): { level: number; name: string }[] {
  const names = (options.LevelNames ?? 'Off').split('|');
  return names.map((name, index) => ({ level: index * 10, name }));
}

function describe(kind: UnitKind): string {
  return kind.replace(/_/g, ' ');
}

/**
 * Checks a command against the unit's type and turns it into onCommand arguments. `Toggle` becomes `On` or `Off`
 * from the stored state, as Domoticz's own switch API does, so plugins only ever see the two.
 */
export function resolveCommand(target: CommandTarget, input: UnitCommand): CommandOutcome {
  const name = canonical.get(input.command.trim().replace(/\s+/g, ' ').toLowerCase());
  const allowed = accepted[target.kind];
  if (!allowed) return { ok: false, error: `a ${describe(target.kind)} unit does not take commands` };
  if (!name || !allowed.includes(name)) {
    return {
      ok: false,
      error: `a ${describe(target.kind)} unit does not accept ${JSON.stringify(input.command)}; it accepts ${allowed.join(', ')}`,
    };
  }
  const command = name === 'Toggle' ? (target.nValue !== 0 ? 'Off' : 'On') : name;
  const color = input.color ?? null;

  if (command === 'Set Color') {
    if (!color)
      return { ok: false, error: 'Set Color needs a color ({"m":3,"r":255,"g":0,"b":0} or similar)' };
    return { ok: true, command, level: input.level ?? 100, color };
  }
  if (command !== 'Set Level') return { ok: true, command, level: input.level ?? 0, color };

  const level = input.level;
  if (level === undefined) return { ok: false, error: 'Set Level needs a level, e.g. "Set Level 40"' };
  if (target.kind === 'setpoint') return checkSetpoint(target.options, level, color);
  if (target.kind === 'selector') {
    const levels = selectorLevels(target.options);
    if (!levels.some((entry) => entry.level === level)) {
      return {
        ok: false,
        error: `level ${level} is not a level of this selector; it has ${levels.map((entry) => `${entry.level} (${entry.name})`).join(', ')}`,
      };
    }
    return { ok: true, command, level, color };
  }
  if (!Number.isInteger(level) || level < 0 || level > 100) {
    return { ok: false, error: `the level must be an integer from 0 to 100, got ${level}` };
  }
  return { ok: true, command, level, color };
}

/** Setpoints take a float level; `ValueMin`/`ValueMax` options bound it when the plugin sets them. */
function checkSetpoint(options: UnitOptions, level: number, color: Color | null): CommandOutcome {
  const min = options.ValueMin === undefined ? undefined : Number(options.ValueMin);
  const max = options.ValueMax === undefined ? undefined : Number(options.ValueMax);
  if (min !== undefined && Number.isFinite(min) && level < min)
    return { ok: false, error: `the setpoint must be at least ${min}, got ${level}` };
  if (max !== undefined && Number.isFinite(max) && level > max)
    return { ok: false, error: `the setpoint must be at most ${max}, got ${level}` };
  return { ok: true, command: 'Set Level', level, color };
}
