import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers/index.js';
import { classifyPlugin, listPlugins, locatePlugin } from './plugin-loader.js';

const dir = tempDir('wattbus-loader-');
afterAll(() => dir.remove());

function write(path: string, text = 'export {}', mtime?: number): void {
  mkdirSync(join(dir.path, path, '..'), { recursive: true });
  writeFileSync(join(dir.path, path), text);
  if (mtime !== undefined) utimesSync(join(dir.path, path), mtime, mtime);
}

describe('locatePlugin', () => {
  it('uses the compiled JavaScript when it is at least as new as the sources, else the TypeScript', () => {
    write('meter/meter.ts', 'export {}', 1000);
    write('meter/helper.ts', 'export {}', 1000);
    write('dist/meter/meter.js', 'export {}', 2000);
    expect(locatePlugin(dir.path, 'meter')).toMatchObject({
      source: 'compiled',
      entry: join(dir.path, 'dist/meter/meter.js'),
    });
    write('meter/helper.ts', 'export const changed = 1;', 3000);
    expect(locatePlugin(dir.path, 'meter')).toMatchObject({
      source: 'typescript',
      entry: join(dir.path, 'meter/meter.ts'),
    });
  });

  it('counts a build that left an unchanged output file alone (its build-info file is newer)', () => {
    write('lamp/lamp.ts', 'export {}', 1000);
    write('dist/lamp/lamp.js', 'export {}', 2000);
    write('lamp/lamp.ts', '  export {}', 3000);
    expect(locatePlugin(dir.path, 'lamp').source).toBe('typescript');
    write('dist/.tsbuildinfo', '{}', 4000);
    expect(locatePlugin(dir.path, 'lamp').source).toBe('compiled');
  });

  it('takes a .js main file, or only the compiled one (a container image)', () => {
    write('plain/plain.js');
    expect(locatePlugin(dir.path, 'plain').source).toBe('javascript');
    write('dist/shipped/shipped.js');
    mkdirSync(join(dir.path, 'shipped'), { recursive: true });
    expect(locatePlugin(dir.path, 'shipped').source).toBe('compiled');
  });

  it('explains a missing folder and a main file not named after its folder', () => {
    expect(() => locatePlugin(dir.path, 'nope')).toThrow(
      /plugin folder .*nope does not exist \(plugins found in .*: lamp, meter, plain\)/,
    );
    write('renamed/old_name.ts');
    write('renamed/old_name.test.ts');
    expect(() => locatePlugin(dir.path, 'renamed')).toThrow(
      /has no renamed.ts: .* \(found old_name.ts; rename the folder or the file/,
    );
    expect(listPlugins(dir.path)).toEqual(['lamp', 'meter', 'plain']);
  });
});

describe('classifyPlugin', () => {
  const noop = () => {};
  it('recognises both styles, also on a default export', () => {
    expect(classifyPlugin({ startPlugin: noop, stopPlugin: noop }, 'x.ts').style).toBe('power');
    expect(classifyPlugin({ definition: {}, onStart: noop }, 'x.ts').style).toBe('domoticz');
    expect(classifyPlugin({ default: { startPlugin: noop, stopPlugin: noop } }, 'x.js').style).toBe('power');
  });

  it('names what is missing, with the TypeScript spelling of Python names', () => {
    expect(() => classifyPlugin({ startPlugin: noop }, 'x.ts')).toThrow(
      /missing the required function stopPlugin\(\)/,
    );
    expect(() => classifyPlugin({ onStart: noop }, 'x.ts')).toThrow(/exports onStart but no definition/);
    expect(() => classifyPlugin({ start_plugin: noop, stop_plugin: noop }, 'x.ts')).toThrow(
      /start_plugin is spelled startPlugin in TypeScript; stop_plugin is spelled stopPlugin/,
    );
  });
});
