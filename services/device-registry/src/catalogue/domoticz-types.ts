/**
 * Domoticz's numeric device types, sub types and switch types (from its `RFXtrx.h` / `hardwaretypes.h`), as plugins
 * pass them in raw `Type`/`Subtype`/`Switchtype` fields. Only the ones wattbus understands are named.
 */
export const Type = {
  Lighting1: 0x10,
  Lighting2: 0x11,
  Temp: 0x50,
  Humidity: 0x51,
  TempHum: 0x52,
  TempHumBaro: 0x54,
  Rain: 0x55,
  Wind: 0x56,
  UV: 0x57,
  Current: 0x59,
  Weight: 0x5d,
  Counter: 0x71,
  ColorSwitch: 0xf1,
  Thermostat: 0xf2,
  General: 0xf3,
  LightSwitch: 0xf4,
  Lux: 0xf6,
  TempBaro: 0xf7,
  Usage: 0xf8,
  AirQuality: 0xf9,
  P1Power: 0xfa,
  P1Gas: 0xfb,
} as const;

/** Sub types of Type 243 (General). */
export const General = {
  Visibility: 1,
  SolarRadiation: 2,
  SoilMoisture: 3,
  LeafWetness: 4,
  Percentage: 6,
  Voltage: 8,
  Pressure: 9,
  Text: 19,
  Alert: 22,
  CurrentSingle: 23,
  SoundLevel: 24,
  Barometer: 26,
  Distance: 27,
  CounterIncremental: 28,
  Kwh: 29,
  Waterflow: 30,
  Custom: 31,
  ManagedCounter: 33,
} as const;

/** Sub types of Type 244 (Light/Switch). */
export const LightSwitch = { Selector: 62, Switch: 73 } as const;

/** Sub types of Type 241 (Color Switch). */
export const ColorSwitch = {
  RGBW: 1,
  RGB: 2,
  White: 3,
  RGBWW: 4,
  RGBWZ: 6,
  RGBWWZ: 7,
  ColdWarmWhite: 8,
} as const;

/** Domoticz `_eSwitchType`. */
export const SwitchType = {
  OnOff: 0,
  Doorbell: 1,
  Contact: 2,
  Blinds: 3,
  Siren: 4,
  SmokeDetector: 5,
  BlindsInverted: 6,
  Dimmer: 7,
  Motion: 8,
  PushOn: 9,
  PushOff: 10,
  DoorContact: 11,
  Dusk: 12,
  BlindsPercentage: 13,
  VenetianBlindsUS: 14,
  VenetianBlindsEU: 15,
  BlindsPercentageInverted: 16,
  Media: 17,
  Selector: 18,
  DoorLock: 19,
  DoorLockInverted: 20,
  BlindsPercentageWithStop: 21,
} as const;

/** The Switchtype of Counter Incremental, Managed counter and RFXMeter counters (spec §5). */
export const MeterType = {
  Energy: 0,
  Gas: 1,
  Water: 2,
  Counter: 3,
  EnergyGenerated: 4,
  Time: 5,
} as const;
