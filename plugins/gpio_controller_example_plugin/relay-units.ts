import type { Logger, PowerUnits, Unit, UnitCommand } from '@wattbus/plugin-runner';
import type { RelayMode, RelayState } from './relay-controller.js';

/** The DeviceID of both units: one Home Assistant device per unit, grouped under this id in the registry. */
export const RELAY_DEVICE = 'relay';
/** A Switch that shows the output pin; On and Off switch the override on or off. */
export const STATE_UNIT = 1;
/** A Selector Switch for the mode: Auto (level 0), On (10), Off (20). */
export const MODE_UNIT = 2;

/** How often one relay state is offered to the registry before waiting for the next change. */
const MAX_PUSH_ATTEMPTS = 5;

const LEVELS: Record<RelayMode, number> = { auto: 0, on: 10, off: 20 };
const MODES = new Map(Object.entries(LEVELS).map(([mode, level]) => [level, mode as RelayMode]));

/** What a command asks of the relay: a mode, or why the command means nothing here. */
export function modeForCommand(command: UnitCommand): { mode: RelayMode } | { ignored: string } {
  if (command.deviceId !== RELAY_DEVICE || (command.unit !== STATE_UNIT && command.unit !== MODE_UNIT))
    return { ignored: `this plugin has no unit ${command.deviceId}/${command.unit}` };
  if (command.unit === STATE_UNIT) {
    if (command.command === 'On') return { mode: 'on' };
    if (command.command === 'Off') return { mode: 'off' };
    return { ignored: `the relay switch takes On and Off, not ${command.command}` };
  }
  // Domoticz's Off on a selector selects level 0, here Auto.
  if (command.command === 'Off') return { mode: 'auto' };
  if (command.command === 'Set Level') {
    const mode = MODES.get(command.level);
    if (mode) return { mode };
    return { ignored: `the mode selector has levels 0 (Auto), 10 (On) and 20 (Off), not ${command.level}` };
  }
  return {
    ignored: `the mode selector takes Set Level 0 (Auto), 10 (On) or 20 (Off), not ${command.command}`,
  };
}

/**
 * The relay's two units in the device registry. The relay never waits for them: the registry may be down, and
 * the pin must still follow net power. The units catch up with the newest state once they are there.
 */
export class RelayUnits {
  private state: Unit | undefined;
  private mode: Unit | undefined;
  private wanted: RelayState | undefined;
  private pushing: Promise<void> | undefined;

  constructor(
    private readonly units: PowerUnits,
    private readonly logger: Logger,
    private readonly pin: string,
  ) {}

  /**
   * Creates the units when the registry does not have them yet. Resolves to the mode the mode unit held (the
   * override a person chose before a restart), or undefined for a new unit.
   */
  async attach(): Promise<RelayMode | undefined> {
    const devices = await this.units.load();
    const stored = devices[RELAY_DEVICE]?.units[MODE_UNIT];
    const storedMode = stored ? MODES.get(stored.nValue === 0 ? 0 : Number(stored.sValue)) : undefined;
    this.state = await this.units.ensure({
      name: 'Relay',
      deviceId: RELAY_DEVICE,
      unit: STATE_UNIT,
      typeName: 'Switch',
      used: true,
      description: `${this.pin}: on while the home exports power, unless the mode says otherwise`,
    });
    this.mode = await this.units.ensure({
      name: 'Relay mode',
      deviceId: RELAY_DEVICE,
      unit: MODE_UNIT,
      typeName: 'Selector Switch',
      options: { LevelNames: 'Auto|On|Off', LevelOffHidden: 'false', SelectorStyle: '0' },
      used: true,
      description: `Auto: ${this.pin} follows net power; On and Off hold it`,
    });
    return storedMode;
  }

  /** Shows a relay state on the units, now or once they exist; only the newest state is sent. */
  show(state: RelayState): void {
    this.wanted = state;
    this.pushing ??= this.push().finally(() => {
      this.pushing = undefined;
    });
  }

  private async push(): Promise<void> {
    let failures = 0;
    while (this.state && this.mode && this.wanted) {
      const wanted = this.wanted;
      const level = LEVELS[wanted.mode];
      const shows = {
        state: { nValue: wanted.on ? 1 : 0, sValue: wanted.on ? 'On' : 'Off' },
        mode: { nValue: level === 0 ? 0 : 2, sValue: String(level) },
      };
      try {
        for (const [unit, values] of [
          [this.state, shows.state],
          [this.mode, shows.mode],
        ] as const) {
          unit.nValue = values.nValue;
          unit.sValue = values.sValue;
          await unit.update();
        }
      } catch (error) {
        // A busy or restarting registry answers late; the state is tried again a few times so that Home Assistant
        // does not keep showing a stale relay until the next change. After that, the next change tries again.
        failures += 1;
        this.logger.warn({ err: error, attempt: failures }, 'could not show the relay state on its units');
        if (failures >= MAX_PUSH_ATTEMPTS) return;
        await new Promise((resolve) => setTimeout(resolve, 1000 * failures));
        continue;
      }
      if (this.wanted === wanted) this.wanted = undefined;
    }
  }
}
