import type { Database, Statement } from 'better-sqlite3';
import type { Device, Hardware, JsonValue, Layout, NewUnit, Unit } from './model.js';

interface UnitRow {
  id: number;
  hardware_key: string;
  device_id: string;
  unit: number;
  name: string;
  type_name: string | null;
  type: number;
  subtype: number;
  switchtype: number;
  n_value: number;
  s_value: string;
  options: string;
  battery_level: number;
  signal_level: number;
  image: number;
  used: number;
  description: string;
  color: string;
  last_level: number;
  adjustment: number;
  multiplier: number;
  last_update: number;
  last_history: number;
}

export interface HistoryRecord {
  timestamp: number;
  nValue: number;
  sValue: string;
}

export interface HardwareFields {
  plugin: string;
  name: string;
  layout: Layout;
  settings: Record<string, string>;
}

function unitFromRow(row: UnitRow): Unit {
  return {
    id: row.id,
    hardwareKey: row.hardware_key,
    deviceId: row.device_id,
    unit: row.unit,
    name: row.name,
    typeName: row.type_name ?? undefined,
    type: row.type,
    subtype: row.subtype,
    switchtype: row.switchtype,
    nValue: row.n_value,
    sValue: row.s_value,
    options: JSON.parse(row.options) as Record<string, string>,
    batteryLevel: row.battery_level,
    signalLevel: row.signal_level,
    image: row.image,
    used: row.used !== 0,
    description: row.description,
    color: row.color,
    lastLevel: row.last_level,
    adjustment: row.adjustment,
    multiplier: row.multiplier,
    lastUpdateMs: row.last_update,
    lastHistoryMs: row.last_history,
  };
}

/** The mutable columns of a unit, in the order of the insert and update statements. */
function unitParams(unit: NewUnit) {
  return {
    name: unit.name,
    type_name: unit.typeName ?? null,
    type: unit.type,
    subtype: unit.subtype,
    switchtype: unit.switchtype,
    n_value: unit.nValue,
    s_value: unit.sValue,
    options: JSON.stringify(unit.options),
    battery_level: unit.batteryLevel,
    signal_level: unit.signalLevel,
    image: unit.image,
    used: unit.used ? 1 : 0,
    description: unit.description,
    color: unit.color,
    last_level: unit.lastLevel,
    adjustment: unit.adjustment,
    multiplier: unit.multiplier,
    last_update: unit.lastUpdateMs,
    last_history: unit.lastHistoryMs,
  };
}

/** True when a change touches only what readings change: the values, battery, signal and timestamps. */
function onlyValuesChanged(before: Unit, after: Unit): boolean {
  return (
    before.name === after.name &&
    before.typeName === after.typeName &&
    before.type === after.type &&
    before.subtype === after.subtype &&
    before.switchtype === after.switchtype &&
    before.options === after.options &&
    before.image === after.image &&
    before.used === after.used &&
    before.description === after.description &&
    before.color === after.color &&
    before.lastLevel === after.lastLevel &&
    before.adjustment === after.adjustment &&
    before.multiplier === after.multiplier
  );
}

const UNIT_COLUMNS =
  'name, type_name, type, subtype, switchtype, n_value, s_value, options, battery_level, signal_level, image, ' +
  'used, description, color, last_level, adjustment, multiplier, last_update, last_history';
const UNIT_VALUES = UNIT_COLUMNS.split(', ')
  .map((column) => `@${column}`)
  .join(', ');
const UNIT_ASSIGNMENTS = UNIT_COLUMNS.split(', ')
  .map((column) => `${column} = @${column}`)
  .join(', ');

/**
 * Hardware, Devices and Units in memory, mirrored to SQLite. Every mutation writes its statement and records how
 * to undo the in-memory change, so a transaction that fails (a full disk) leaves memory exactly as the database
 * is. Mutations are only valid inside `transaction`.
 */
export class RegistryStore {
  readonly hardware = new Map<string, Hardware>();
  readonly settings = new Map<string, string>();
  private readonly undo: (() => void)[] = [];
  private inTransaction = false;
  private readonly sql: Record<string, Statement>;

  constructor(
    readonly db: Database,
    readonly readOnly: boolean,
  ) {
    this.sql = readOnly ? {} : this.prepareWrites();
    this.load();
  }

  private prepareWrites(): Record<string, Statement> {
    const db = this.db;
    return {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      insertHardware: db.prepare(
        'INSERT INTO hardware (key, plugin, name, layout, settings, created_at, updated_at) ' +
          'VALUES (@key, @plugin, @name, @layout, @settings, @now, @now)',
      ),
      updateHardware: db.prepare(
        'UPDATE hardware SET plugin = @plugin, name = @name, layout = @layout, settings = @settings, ' +
          'updated_at = @now WHERE id = @id',
      ),
      setConfiguration: db.prepare('UPDATE hardware SET configuration = ? WHERE id = ?'),
      insertDevice: db.prepare('INSERT INTO devices (hardware_id, device_id, timed_out) VALUES (?, ?, ?)'),
      setTimedOut: db.prepare('UPDATE devices SET timed_out = ? WHERE hardware_id = ? AND device_id = ?'),
      deleteDevice: db.prepare('DELETE FROM devices WHERE hardware_id = ? AND device_id = ?'),
      insertUnit: db.prepare(
        `INSERT INTO units (hardware_id, device_id, unit, ${UNIT_COLUMNS}) ` +
          `VALUES (@hardware_id, @device_id, @unit, ${UNIT_VALUES})`,
      ),
      updateUnit: db.prepare(`UPDATE units SET ${UNIT_ASSIGNMENTS} WHERE id = @id`),
      updateValues: db.prepare(
        'UPDATE units SET n_value = ?, s_value = ?, battery_level = ?, signal_level = ?, last_update = ?, ' +
          'last_history = ? WHERE id = ?',
      ),
      deleteUnit: db.prepare('DELETE FROM units WHERE id = ?'),
      insertHistory: db.prepare(
        'INSERT INTO history (unit_id, timestamp, n_value, s_value) VALUES (?, ?, ?, ?)',
      ),
      pruneHistory: db.prepare('DELETE FROM history WHERE timestamp < ?'),
      setSetting: db.prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      insertNotifier: db.prepare('INSERT OR IGNORE INTO notifiers (hardware_id, name) VALUES (?, ?)'),
    };
  }

  private load(): void {
    const hardwareRows = this.db.prepare('SELECT * FROM hardware ORDER BY id').all() as {
      id: number;
      key: string;
      plugin: string;
      name: string;
      layout: Layout;
      settings: string;
      configuration: string;
    }[];
    const byId = new Map<number, Hardware>();
    for (const row of hardwareRows) {
      const hardware: Hardware = {
        id: row.id,
        key: row.key,
        plugin: row.plugin,
        name: row.name,
        layout: row.layout,
        settings: JSON.parse(row.settings),
        configuration: JSON.parse(row.configuration),
        notifiers: new Set(),
        devices: new Map(),
      };
      this.hardware.set(hardware.key, hardware);
      byId.set(hardware.id, hardware);
    }
    const deviceRows = this.db.prepare('SELECT * FROM devices').all() as {
      hardware_id: number;
      device_id: string;
      timed_out: number;
    }[];
    for (const row of deviceRows) {
      const hardware = byId.get(row.hardware_id);
      hardware?.devices.set(row.device_id, {
        hardwareKey: hardware.key,
        deviceId: row.device_id,
        timedOut: row.timed_out !== 0,
        units: new Map(),
      });
    }
    const unitRows = this.db
      .prepare(
        'SELECT units.*, hardware.key AS hardware_key FROM units JOIN hardware ON hardware.id = hardware_id',
      )
      .all() as UnitRow[];
    for (const row of unitRows) {
      const unit = unitFromRow(row);
      this.hardware.get(unit.hardwareKey)?.devices.get(unit.deviceId)?.units.set(unit.unit, unit);
    }
    const notifierRows = this.db.prepare('SELECT hardware_id, name FROM notifiers').all() as {
      hardware_id: number;
      name: string;
    }[];
    for (const row of notifierRows) byId.get(row.hardware_id)?.notifiers.add(row.name);
    const settingRows = this.db.prepare('SELECT key, value FROM settings').all() as {
      key: string;
      value: string;
    }[];
    for (const row of settingRows) this.settings.set(row.key, row.value);
  }

  // ---- transactions ------------------------------------------------------------------------------------------

  /**
   * Runs `work` in one SQLite transaction. On any error the transaction is rolled back, every in-memory change
   * made inside it is undone, and the error is rethrown. Commit returns only once SQLite has the data durably
   * (per the `synchronous` setting), so callers acknowledge after this returns.
   */
  transaction<T>(work: () => T): T {
    if (this.readOnly)
      throw Object.assign(new Error('the database is open read-only'), { code: 'SQLITE_READONLY' });
    if (this.inTransaction) throw new Error('nested registry transaction');
    this.sql.begin!.run();
    this.inTransaction = true;
    try {
      const result = work();
      this.sql.commit!.run();
      this.undo.length = 0;
      return result;
    } catch (error) {
      this.rollback();
      throw error;
    } finally {
      this.inTransaction = false;
    }
  }

  private rollback(): void {
    try {
      if (this.db.inTransaction) this.sql.rollback!.run();
    } finally {
      for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
      this.undo.length = 0;
    }
  }

  /** The number of in-memory changes so far in this transaction (to check that a refused request changed none). */
  get changeCount(): number {
    return this.undo.length;
  }

  private requireTransaction(): void {
    if (!this.inTransaction) throw new Error('registry store mutated outside a transaction');
  }

  // ---- reads -------------------------------------------------------------------------------------------------

  findUnit(hardwareKey: string, deviceId: string, unit: number): Unit | undefined {
    return this.hardware.get(hardwareKey)?.devices.get(deviceId)?.units.get(unit);
  }

  *allUnits(): Generator<Unit> {
    for (const hardware of this.hardware.values()) {
      for (const device of hardware.devices.values()) yield* device.units.values();
    }
  }

  history(unitId: number, fromMs: number, toMs: number, limit: number): HistoryRecord[] {
    const rows = this.db
      .prepare(
        'SELECT timestamp, n_value, s_value FROM history WHERE unit_id = ? AND timestamp >= ? AND timestamp <= ? ' +
          'ORDER BY timestamp, rowid LIMIT ?',
      )
      .all(unitId, fromMs, toMs, limit) as { timestamp: number; n_value: number; s_value: string }[];
    return rows.map((row) => ({ timestamp: row.timestamp, nValue: row.n_value, sValue: row.s_value }));
  }

  // ---- hardware ----------------------------------------------------------------------------------------------

  upsertHardware(key: string, fields: HardwareFields, now: number): Hardware {
    this.requireTransaction();
    const existing = this.hardware.get(key);
    const settings = JSON.stringify(fields.settings);
    if (existing) {
      const before = {
        plugin: existing.plugin,
        name: existing.name,
        layout: existing.layout,
        settings: existing.settings,
      };
      this.sql.updateHardware!.run({ id: existing.id, ...fields, settings, now });
      Object.assign(existing, fields);
      this.undo.push(() => Object.assign(existing, before));
      return existing;
    }
    const result = this.sql.insertHardware!.run({ key, ...fields, settings, now });
    const hardware: Hardware = {
      id: Number(result.lastInsertRowid),
      key,
      ...fields,
      configuration: {},
      notifiers: new Set(),
      devices: new Map(),
    };
    this.hardware.set(key, hardware);
    this.undo.push(() => this.hardware.delete(key));
    return hardware;
  }

  setConfiguration(hardware: Hardware, configuration: Record<string, JsonValue>): void {
    this.requireTransaction();
    this.sql.setConfiguration!.run(JSON.stringify(configuration), hardware.id);
    const before = hardware.configuration;
    hardware.configuration = configuration;
    this.undo.push(() => {
      hardware.configuration = before;
    });
  }

  addNotifier(hardware: Hardware, name: string): void {
    this.requireTransaction();
    if (hardware.notifiers.has(name)) return;
    this.sql.insertNotifier!.run(hardware.id, name);
    hardware.notifiers.add(name);
    this.undo.push(() => hardware.notifiers.delete(name));
  }

  setSetting(key: string, value: string): void {
    this.requireTransaction();
    this.sql.setSetting!.run(key, value);
    const before = this.settings.get(key);
    this.settings.set(key, value);
    this.undo.push(() => (before === undefined ? this.settings.delete(key) : this.settings.set(key, before)));
  }

  // ---- devices and units -------------------------------------------------------------------------------------

  setTimedOut(hardware: Hardware, device: Device, timedOut: boolean): void {
    this.requireTransaction();
    if (device.timedOut === timedOut) return;
    this.sql.setTimedOut!.run(timedOut ? 1 : 0, hardware.id, device.deviceId);
    device.timedOut = timedOut;
    this.undo.push(() => {
      device.timedOut = !timedOut;
    });
  }

  /** Inserts a unit, and its Device when the DeviceID is new. */
  insertUnit(hardware: Hardware, unit: NewUnit): Unit {
    this.requireTransaction();
    let device = hardware.devices.get(unit.deviceId);
    if (!device) {
      this.sql.insertDevice!.run(hardware.id, unit.deviceId, 0);
      const created: Device = {
        hardwareKey: hardware.key,
        deviceId: unit.deviceId,
        timedOut: false,
        units: new Map(),
      };
      hardware.devices.set(unit.deviceId, created);
      this.undo.push(() => hardware.devices.delete(created.deviceId));
      device = created;
    }
    const result = this.sql.insertUnit!.run({
      hardware_id: hardware.id,
      device_id: unit.deviceId,
      unit: unit.unit,
      ...unitParams(unit),
    });
    // `id` first: the member order of units loaded from the database, so every unit object has the same shape.
    const stored: Unit = { id: Number(result.lastInsertRowid), ...unit };
    const units = device.units;
    units.set(stored.unit, stored);
    this.undo.push(() => units.delete(stored.unit));
    return stored;
  }

  /** Stores a changed unit (same id, device and number). */
  replaceUnit(previous: Unit, next: Unit): Unit {
    this.requireTransaction();
    const device = this.hardware.get(previous.hardwareKey)?.devices.get(previous.deviceId);
    if (!device || device.units.get(previous.unit) !== previous) throw new Error('replaceUnit: stale unit');
    if (onlyValuesChanged(previous, next)) {
      // The common case (a reading): a narrow statement that leaves names, options and the rest alone.
      this.sql.updateValues!.run(
        next.nValue,
        next.sValue,
        next.batteryLevel,
        next.signalLevel,
        next.lastUpdateMs,
        next.lastHistoryMs,
        previous.id,
      );
    } else {
      this.sql.updateUnit!.run({ id: previous.id, ...unitParams(next) });
    }
    device.units.set(next.unit, next);
    this.undo.push(() => device.units.set(previous.unit, previous));
    return next;
  }

  /** Deletes a unit (its history goes with it) and its Device when it was the last unit. */
  deleteUnit(hardware: Hardware, unit: Unit): { deviceRemoved: boolean } {
    this.requireTransaction();
    const device = hardware.devices.get(unit.deviceId);
    if (!device || device.units.get(unit.unit) !== unit) throw new Error('deleteUnit: stale unit');
    this.sql.deleteUnit!.run(unit.id);
    device.units.delete(unit.unit);
    this.undo.push(() => device.units.set(unit.unit, unit));
    if (device.units.size > 0) return { deviceRemoved: false };
    this.sql.deleteDevice!.run(hardware.id, device.deviceId);
    hardware.devices.delete(device.deviceId);
    this.undo.push(() => hardware.devices.set(device.deviceId, device));
    return { deviceRemoved: true };
  }

  insertHistory(unit: Unit, timestamp: number, nValue: number, sValue: string): void {
    this.requireTransaction();
    this.sql.insertHistory!.run(unit.id, timestamp, nValue, sValue);
  }

  /** Removes history rows older than `before` (ms); returns how many. */
  pruneHistory(before: number): number {
    this.requireTransaction();
    return this.sql.pruneHistory!.run(before).changes;
  }
}
