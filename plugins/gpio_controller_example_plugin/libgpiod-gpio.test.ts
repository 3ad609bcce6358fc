import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/temp.js';
import { LibgpiodGpio, parseToolsVersion, pickHeaderChip } from './libgpiod-gpio.js';

/**
 * No GPIO chip exists on a build machine, so these tests run the backend's real process handling against
 * stand-ins for libgpiod's tools: shell scripts that answer like v1 or v2 and log every call. A stand-in gpioset
 * holds its "line" until it is signalled, as the real one does.
 */
function fakeTools(dir: string, version: 1 | 2, options: { busy?: boolean; input?: string } = {}) {
  const log = join(dir, 'calls.log');
  const script = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const gpioset = script(
    'gpioset',
    `if [ "$1" = "--version" ]; then echo "gpioset (libgpiod) v${version === 1 ? '1.6.3' : '2.1.3'}"; exit 0; fi
${options.busy ? 'echo "gpioset: error setting the GPIO line values: Device or resource busy" >&2; exit 1' : ''}
echo "hold $*" >> ${log}
trap 'echo "release $*" >> ${log}; exit 0' TERM INT
while true; do sleep 0.02; done`,
  );
  const gpioget = script('gpioget', `echo "get $*" >> ${log}\necho ${options.input ?? '1'}`);
  const gpiodetect = script(
    'gpiodetect',
    `echo "gpiochip0 [gpio-brcmstb@107d508500] (32 lines)"
echo "gpiochip4 [pinctrl-rp1] (54 lines)"`,
  );
  return {
    tools: { gpioset, gpioget, gpiodetect },
    calls: () => readFileSync(log, 'utf8').trim().split('\n'),
  };
}

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});
function scratch(): string {
  const dir = tempDir('wattbus-gpiod-');
  dirs.push(dir);
  return dir.path;
}

describe('libgpiod tool output', () => {
  it('tells v1 from v2 tools and finds the header chip of a Pi 4 or Pi 5', () => {
    expect(parseToolsVersion('gpioset (libgpiod) v1.6.3\nCopyright (C) 2017-2018 Bartosz Golaszewski')).toBe(
      1,
    );
    expect(parseToolsVersion('gpioset (libgpiod) v2.1.3')).toBe(2);
    expect(() => parseToolsVersion('something else')).toThrow(/cannot tell/);
    expect(
      pickHeaderChip('gpiochip0 [pinctrl-bcm2711] (58 lines)\ngpiochip1 [raspberrypi-exp-gpio] (8 lines)'),
    ).toBe('gpiochip0');
    expect(
      pickHeaderChip('gpiochip0 [gpio-brcmstb@107d508500] (32 lines)\ngpiochip4 [pinctrl-rp1] (54 lines)'),
    ).toBe('gpiochip4');
    expect(pickHeaderChip('gpiochip0 [gpio-mockup-A] (8 lines)')).toBeUndefined();
  });
});

describe('LibgpiodGpio', () => {
  it('holds an output with v1 gpioset --mode=signal, restarts it on a change, and cleans up like RPi.GPIO', async () => {
    const fake = fakeTools(scratch(), 1);
    const gpio = await LibgpiodGpio.open('auto', fake.tools);
    expect(gpio.description).toBe('gpiochip4 through libgpiod v1 tools');
    const line = await gpio.request({ line: 17, label: 'GPIO17', direction: 'output', initial: false });
    await line.set(true);
    await line.set(true);
    await line.release();
    expect(fake.calls()).toEqual([
      'hold --mode=signal gpiochip4 17=0',
      'release --mode=signal gpiochip4 17=0',
      'hold --mode=signal gpiochip4 17=1',
      'release --mode=signal gpiochip4 17=1',
      'hold --mode=signal gpiochip4 17=0',
      'release --mode=signal gpiochip4 17=0',
      'get gpiochip4 17',
    ]);
  });

  it('uses the v2 syntax, active-low and a named chip, and reads inputs as numbers', async () => {
    const fake = fakeTools(scratch(), 2, { input: '1' });
    const gpio = await LibgpiodGpio.open('gpiochip0', fake.tools);
    const output = await gpio.request({
      line: 17,
      label: 'GPIO17',
      direction: 'output',
      initial: true,
      activeLow: true,
    });
    const input = await gpio.request({ line: 27, label: 'GPIO27', direction: 'input' });
    expect(await input.read()).toBe(true);
    await output.release();
    expect(fake.calls()).toEqual([
      'hold --chip gpiochip0 --consumer wattbus --active-low 17=1',
      'get --chip gpiochip0 --numeric 27',
      'get --chip gpiochip0 --numeric 27',
      'release --chip gpiochip0 --consumer wattbus --active-low 17=1',
      'hold --chip gpiochip0 --consumer wattbus --active-low 17=0',
      'release --chip gpiochip0 --consumer wattbus --active-low 17=0',
      'get --chip gpiochip0 --numeric --active-low 17',
    ]);
  });

  it("reports the tool's own error when the line is busy, and how to install missing tools", async () => {
    const fake = fakeTools(scratch(), 1, { busy: true });
    const gpio = await LibgpiodGpio.open('gpiochip0', fake.tools);
    await expect(gpio.request({ line: 17, label: 'GPIO17', direction: 'output' })).rejects.toThrow(
      /gpioset --mode=signal gpiochip0 17=0 ended at once \(exit 1\): .*Device or resource busy/,
    );
    await expect(LibgpiodGpio.open('auto', { gpioset: join(scratch(), 'missing-gpioset') })).rejects.toThrow(
      /was not found: install them with "sudo apt install gpiod"/,
    );
  });
});
