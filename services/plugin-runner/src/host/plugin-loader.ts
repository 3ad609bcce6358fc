import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A plugin that cannot start. `permanent` errors (wrong folder, wrong exports) are not retried by a restart. */
export class PluginLoadError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PluginLoadError';
  }
}

export interface LocatedPlugin {
  folder: string;
  /** The plugin folder, `plugins/<folder>/`. */
  dir: string;
  /** The file to import. */
  entry: string;
  /** `compiled`: plugins/dist/<folder>/<folder>.js; `typescript`: the .ts source through tsx; `javascript`: a .js main file. */
  source: 'compiled' | 'typescript' | 'javascript';
}

const SKIPPED_FOLDERS = new Set(['dist', 'node_modules']);

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Folders under the plugins directory whose main file is named after them. */
export function listPlugins(pluginsDir: string): string[] {
  if (!isDirectory(pluginsDir)) return [];
  return readdirSync(pluginsDir)
    .filter((name) => !SKIPPED_FOLDERS.has(name) && !name.startsWith('.'))
    .filter((name) => ['ts', 'js'].some((ext) => existsSync(join(pluginsDir, name, `${name}.${ext}`))))
    .sort();
}

function isSourceFile(name: string): boolean {
  return (
    /\.(ts|mts|js|mjs)$/.test(name) && !/\.(test|spec)\.[mc]?[tj]s$/.test(name) && !name.endsWith('.d.ts')
  );
}

/** The newest modification time of the plugin's TypeScript sources (its main file and anything beside it). */
function newestSourceTime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceTime(path));
    else if (entry.name.endsWith('.ts') && isSourceFile(entry.name))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * When the compiled plugin was last brought up to date: the build rewrites its build-info file every time, but
 * leaves an output file alone when a source change (a reformat, a comment) does not change the JavaScript.
 */
function builtAt(pluginsDir: string, compiled: string): number {
  let buildInfo = 0;
  try {
    buildInfo = statSync(join(pluginsDir, 'dist', '.tsbuildinfo')).mtimeMs;
  } catch {
    // No build-info file: a build that did not use tsc -b, or an image that left it out.
  }
  return Math.max(statSync(compiled).mtimeMs, buildInfo);
}

/**
 * Finds a plugin's main file: `plugins/<folder>/<folder>.ts`, run from its compiled JavaScript in
 * `plugins/dist/<folder>/` when that is at least as new as the sources, else through tsx so a plugin just written
 * runs without a build.
 */
export function locatePlugin(pluginsDir: string, folder: string): LocatedPlugin {
  const dir = join(pluginsDir, folder);
  if (!isDirectory(dir)) {
    const available = listPlugins(pluginsDir);
    throw new PluginLoadError(
      `plugin folder ${dir} does not exist` +
        (available.length > 0
          ? ` (plugins found in ${pluginsDir}: ${available.join(', ')})`
          : ` (${pluginsDir} holds no plugins)`),
      true,
    );
  }
  const typescript = join(dir, `${folder}.ts`);
  const javascript = join(dir, `${folder}.js`);
  const compiled = join(pluginsDir, 'dist', folder, `${folder}.js`);
  if (existsSync(typescript)) {
    if (existsSync(compiled) && builtAt(pluginsDir, compiled) >= newestSourceTime(dir)) {
      return { folder, dir, entry: compiled, source: 'compiled' };
    }
    return { folder, dir, entry: typescript, source: 'typescript' };
  }
  if (existsSync(javascript)) return { folder, dir, entry: javascript, source: 'javascript' };
  // A container image may carry only the compiled plugin.
  if (existsSync(compiled)) return { folder, dir, entry: compiled, source: 'compiled' };
  const candidates = readdirSync(dir).filter(isSourceFile);
  throw new PluginLoadError(
    `plugin folder ${dir} has no ${folder}.ts: a plugin's main file must be named after its folder` +
      (candidates.length > 0
        ? ` (found ${candidates.join(', ')}; rename the folder or the file so that they match)`
        : ''),
    true,
  );
}

let typescriptLoader: Promise<void> | undefined;

/** Registers tsx's loader once, globally, so that a TypeScript plugin and the runner share module instances. */
function enableTypeScript(): Promise<void> {
  typescriptLoader ??= import('tsx/esm/api').then(({ register }) => {
    register();
  });
  return typescriptLoader;
}

export async function importPlugin(located: LocatedPlugin): Promise<Record<string, unknown>> {
  if (located.source === 'typescript') await enableTypeScript();
  try {
    return (await import(pathToFileURL(located.entry).href)) as Record<string, unknown>;
  } catch (error) {
    const cause = error instanceof Error ? error : new Error(String(error));
    throw new PluginLoadError(
      `plugin module ${relative(process.cwd(), located.entry) || located.entry} failed to load: ${cause.message}`,
      false,
      { cause },
    );
  }
}

export type PluginStyle = 'power' | 'domoticz';

const PYTHON_NAMES: Record<string, string> = {
  start_plugin: 'startPlugin',
  stop_plugin: 'stopPlugin',
};

/**
 * Decides which API a plugin module uses: the power monitor's (`startPlugin` and `stopPlugin`) or Domoticz's (a
 * `definition` and `on...` callbacks). A module may also put these on its default export.
 */
export function classifyPlugin(
  loaded: Record<string, unknown>,
  entry: string,
): { style: PluginStyle; exports: Record<string, unknown> } {
  const exports =
    typeof loaded.default === 'object' &&
    loaded.default !== null &&
    !('startPlugin' in loaded || 'definition' in loaded)
      ? (loaded.default as Record<string, unknown>)
      : loaded;
  if ('startPlugin' in exports || 'stopPlugin' in exports) {
    for (const name of ['startPlugin', 'stopPlugin']) {
      if (typeof exports[name] !== 'function') {
        throw new PluginLoadError(
          `${entry} is missing the required function ${name}(): a power-monitor-style plugin exports both startPlugin(data, stopFlag, config, logger) and stopPlugin()`,
          true,
        );
      }
    }
    return { style: 'power', exports };
  }
  if ('definition' in exports) return { style: 'domoticz', exports };
  const hints = Object.keys(exports)
    .filter((name) => name in PYTHON_NAMES)
    .map((name) => `${name} is spelled ${PYTHON_NAMES[name]} in TypeScript`);
  const callbacks = Object.keys(exports).filter((name) => /^on[A-Z]/.test(name));
  if (callbacks.length > 0) {
    throw new PluginLoadError(
      `${entry} exports ${callbacks.join(', ')} but no definition: a Domoticz-style plugin must export its definition (export const definition = definePlugin({ key, name, version, ... }))`,
      true,
    );
  }
  throw new PluginLoadError(
    `${entry} exports neither startPlugin() and stopPlugin() (power monitor style) nor a definition (Domoticz style)` +
      (hints.length > 0 ? `; ${hints.join('; ')}` : ''),
    true,
  );
}
