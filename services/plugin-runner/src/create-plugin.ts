import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '@wattbus/shared';
import { z } from 'zod';
import { configBlock, type PluginStyle, pluginFiles } from './scaffold/templates.js';

/**
 * `npm run create-plugin -- <name> [--style power|domoticz]`: the power monitor's create_plugin.sh for wattbus.
 * Writes plugins/<name>/<name>.ts, README.md and <name>.test.ts, and prints the config.toml block to add.
 */

const USAGE = `Usage: npm run create-plugin -- <name> [--style power|domoticz] [--plugins-dir <path>]

Creates plugins/<name>/ with <name>.ts, README.md and <name>.test.ts.

  <name>          letters, digits and "_" (spaces become "_"), e.g. "sample plugin 2" -> sample_plugin_2
  --style         power (the power monitor's startPlugin/stopPlugin, the default) or domoticz
  --plugins-dir   where to create it (default: the repository's plugins/ folder)`;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const HARNESS = join(REPO_ROOT, 'services', 'plugin-runner', 'test', 'runner-harness.js');
/** Folder names with another meaning under plugins/. */
const RESERVED = new Set(['dist', 'node_modules', 'lib', 'test']);

const Arguments = z.object({
  style: z.enum(['power', 'domoticz'], { message: 'must be "power" or "domoticz"' }).default('power'),
  'plugins-dir': z.string().min(1).optional(),
  positionals: z.array(z.string()).min(1, 'needs the plugin name'),
});

const args = parseCommandLine(
  process.argv.slice(2),
  {
    style: { type: 'string', short: 's' },
    'plugins-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  Arguments,
  USAGE,
);

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}\n`);
  process.exit(64);
}

const name = args.positionals.join(' ').trim().replace(/\s+/g, '_');
const invalid = [...new Set(name.replace(/[A-Za-z0-9_]/g, ''))];
if (invalid.length > 0) {
  fail(
    `the plugin name ${JSON.stringify(name)} has ${invalid.map((c) => JSON.stringify(c)).join(', ')}; use only letters, digits and "_"`,
  );
}
if (name.length > 64) fail('the plugin name must be at most 64 characters');
if (RESERVED.has(name)) fail(`"${name}" is a reserved folder name under plugins/; choose another name`);

const pluginsDir = resolve(args['plugins-dir'] ?? join(REPO_ROOT, 'plugins'));
const folder = join(pluginsDir, name);
if (existsSync(folder)) fail(`${folder} already exists; choose another name or remove it`);

let harnessImport = relative(folder, HARNESS).split(sep).join('/');
if (!harnessImport.startsWith('.')) harnessImport = `./${harnessImport}`;
const style: PluginStyle = args.style;
const context = { name, style, harnessImport };

mkdirSync(folder, { recursive: true });
const files = pluginFiles(context);
for (const [file, text] of Object.entries(files)) writeFileSync(join(folder, file), text);

const shown = relative(process.cwd(), folder) || folder;
process.stdout.write(`Setting up plugin "${name}" (${style} style) in ${pluginsDir}
Done! Created ${Object.keys(files).join(', ')} inside ${shown}/

Add this block to config.toml:

${configBlock(context)}
Run it:   WATTBUS_PLUGIN_ID=${name} node services/plugin-runner/dist/main.js
Test it:  npx vitest run ${relative(REPO_ROOT, folder) || folder}
Guide:    docs/plugins.md
`);
