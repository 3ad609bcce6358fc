import { SerialPortMock } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeHarness } from '../../test/runtime-harness.js';
import { Connection } from './connection.js';
import { type SerialPortLike, useSerialPorts } from './transports/serial.js';

// Serial ports are hardware: these tests use serialport's own mock binding in place of /dev/tty*.
let harness: RuntimeHarness;
let restore: () => void;
const opened: SerialPortMock[] = [];

beforeEach(() => {
  SerialPortMock.binding.reset();
  SerialPortMock.binding.createPort('/dev/ttyRAVEn', { record: true });
  restore = useSerialPorts(async (path, baudRate) => {
    const port = new SerialPortMock({ path, baudRate, autoOpen: false });
    opened.push(port);
    return port as unknown as SerialPortLike;
  });
});

afterEach(() => {
  harness?.dispose();
  restore();
  opened.length = 0;
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Serial transport', () => {
  it('opens the port at the baud rate, frames XML from the device and writes commands to it', async () => {
    harness = new RuntimeHarness();
    const connection = new Connection({
      name: 'RAVEn',
      transport: 'Serial',
      protocol: 'XML',
      address: '/dev/ttyRAVEn',
      baud: 57600,
    });
    expect(connection.baud).toBe(57600);
    connection.connect();
    expect((await harness.waitFor('onConnect')).args.slice(1)).toEqual([0, 'Connected']);
    expect(opened[0]!.baudRate).toBe(57600);
    connection.send('<Command><Name>get_device_info</Name></Command>\r\n');
    const device = opened[0]!.port!;
    await until(() => device.recording.toString().includes('get_device_info'));
    device.emitData('<DeviceInfo><DeviceMacId>0x00');
    device.emitData('158d</DeviceMacId></DeviceInfo>\r\n<TimeCluster><UTCTime>0x1</UTCTime></TimeCluster>');
    await harness.waitFor('onMessage', () => harness.messages().length === 2);
    expect(harness.messages().map(String)).toEqual([
      '<DeviceInfo><DeviceMacId>0x00158d</DeviceMacId></DeviceInfo>',
      '<TimeCluster><UTCTime>0x1</UTCTime></TimeCluster>',
    ]);
    connection.disconnect();
    await harness.waitFor('onDisconnect');
    expect(connection.connected()).toBe(false);
  });

  it('defaults to 115200 baud and reports a port that does not exist through onConnect', async () => {
    harness = new RuntimeHarness();
    const connection = new Connection('Missing', 'Serial', 'Line', '/dev/ttyNope');
    expect(connection.baud).toBe(115200);
    connection.connect();
    const call = await harness.waitFor('onConnect');
    expect(call.args[1]).not.toBe(0);
    expect(call.args[2]).toMatch(/ttyNope/);
  });
});
