import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../../../test/helpers/index.js';

// The scaffolded plugins are written to a temporary plugins folder (with the repository's node_modules linked
// in, and the "type": "module" of plugins/package.json), so the shared working tree never sees them.
const dir = tempDir('wattbus-create-plugin-');
symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir.path, 'node_modules'));
writeFileSync(join(dir.path, 'package.json'), '{ "type": "module" }\n');
afterAll(() => dir.remove());

function createPlugin(...args: string[]) {
  return spawnSync(
    process.execPath,
    ['services/plugin-runner/dist/create-plugin.js', ...args, '--plugins-dir', dir.path],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    },
  );
}

/** The file as Biome would write it in plugins/: scaffolded files must already be formatted. */
function formatted(file: string): string {
  const result = spawnSync(
    join(REPO_ROOT, 'node_modules/.bin/biome'),
    ['check', '--write', `--stdin-file-path=plugins/scaffolded/${file.split('/').pop()}`],
    { cwd: REPO_ROOT, input: readFileSync(file, 'utf8'), encoding: 'utf8' },
  );
  return result.stdout;
}

describe('npm run create-plugin', () => {
  it('refuses names with other characters than letters, digits and "_", reserved names and existing folders', () => {
    const bad = createPlugin('bad-name!');
    expect(bad.status).toBe(64);
    expect(bad.stderr).toContain(
      'the plugin name "bad-name!" has "-", "!"; use only letters, digits and "_"',
    );
    expect(createPlugin('dist').stderr).toContain('reserved folder name');
    expect(createPlugin().stderr).toContain('needs the plugin name');
    expect(createPlugin('x', '--style', 'python').stderr).toContain('style: must be "power" or "domoticz"');
  });

  it('scaffolds both styles; the files are formatted, and each plugin runs and passes its own test unchanged', () => {
    const power = createPlugin('sample', 'plugin', '2');
    expect(power.status).toBe(0);
    expect(power.stdout).toContain('Setting up plugin "sample_plugin_2" (power style)');
    expect(power.stdout).toContain('[plugins.sample_plugin_2]\nenabled = true');
    const domoticz = createPlugin('switchy', '--style', 'domoticz');
    expect(domoticz.status).toBe(0);
    expect(domoticz.stdout).toContain('[plugins.switchy]\nenabled = true\nname = "Switchy"');
    expect(createPlugin('switchy').stderr).toContain('already exists');

    for (const name of ['sample_plugin_2', 'switchy']) {
      for (const file of [`${name}.ts`, `${name}.test.ts`, 'README.md'])
        expect(existsSync(join(dir.path, name, file))).toBe(true);
      const readme = readFileSync(join(dir.path, name, 'README.md'), 'utf8');
      expect(readme.match(/^## .*/gm)).toEqual([
        '## Purpose',
        '## Setup & Usage',
        '## Modifications',
        '## Support',
      ]);
      for (const file of [`${name}.ts`, `${name}.test.ts`]) {
        const path = join(dir.path, name, file);
        expect(formatted(path), file).toBe(readFileSync(path, 'utf8'));
      }
    }

    const run = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--root',
        dir.path,
        '--config',
        join(REPO_ROOT, 'vitest.config.ts'),
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 170_000 },
    );
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/Tests\s+.*2 passed/);
  }, 180_000);
});
