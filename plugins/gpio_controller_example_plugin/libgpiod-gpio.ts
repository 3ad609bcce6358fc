import { type ChildProcess, execFile, spawn } from 'node:child_process';
import type { GpioBackend, GpioLine, LineRequest } from './gpio-backend.js';

/** Paths of libgpiod's command-line tools (Debian/Raspberry Pi OS package `gpiod`). */
export interface GpiodTools {
  gpioset: string;
  gpioget: string;
  gpiodetect: string;
}

const DEFAULT_TOOLS: GpiodTools = { gpioset: 'gpioset', gpioget: 'gpioget', gpiodetect: 'gpiodetect' };

/** The Raspberry Pi's header GPIO controllers: BCM2835/6/7 and BCM2711 (Pi 1-4), RP1 (Pi 5). */
const HEADER_CHIP_LABEL = /pinctrl-(bcm2\d{3}|rp1)/;

/** How long a new gpioset must survive to count as holding its line. */
const SETTLE_MS = 150;

/**
 * Every gpioset this process started. They are ended when the process exits, even without a clean stop, so that
 * a restarted plugin does not find its own line still held by an orphan.
 */
const holders = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  holders.add(child);
  child.once('exit', () => holders.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const holder of holders) holder.kill('SIGTERM');
  });
}

function installHint(tool: string): string {
  return `${tool} (libgpiod's tools) was not found: install them with "sudo apt install gpiod", or use backend = "simulated"`;
}

/** Runs a short libgpiod tool and returns its output; failures carry the tool's own message. */
function run(tool: string, args: string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(installHint(tool)));
      const detail = String(stderr).trim() || error.message;
      reject(new Error(`${tool} ${args.join(' ')} failed: ${detail}`));
    });
  });
}

/** The major version of the tools: 1 (Debian 12, Raspberry Pi OS bookworm) or 2 (later releases). */
export function parseToolsVersion(output: string): 1 | 2 {
  const match = /v(\d+)\.\d+/.exec(output);
  if (!match) throw new Error(`cannot tell the libgpiod version from: ${output.trim().slice(0, 200)}`);
  const major = Number(match[1]);
  if (major !== 1 && major !== 2)
    throw new Error(`libgpiod v${major} tools are not supported (v1 or v2 are)`);
  return major;
}

/** Picks the chip of the 40-pin header from `gpiodetect` output ("gpiochip0 [pinctrl-bcm2711] (58 lines)"). */
export function pickHeaderChip(gpiodetectOutput: string): string | undefined {
  for (const line of gpiodetectOutput.split('\n')) {
    const match = /^(\S+)\s+\[([^\]]*)\]/.exec(line.trim());
    if (match && HEADER_CHIP_LABEL.test(match[2]!)) return match[1];
  }
  return undefined;
}

/**
 * The Linux GPIO character device (the kernel's v2 uAPI) through libgpiod's gpioset and gpioget. Node.js cannot
 * issue the ioctls itself, and a native binding would have to be compiled on every install; the tools ship with
 * Raspberry Pi OS. A line is held by a running gpioset for as long as the plugin drives it (the line is released
 * when a process that requested it ends), so changing the value starts a new gpioset.
 */
export class LibgpiodGpio implements GpioBackend {
  readonly description: string;

  private constructor(
    readonly chip: string,
    readonly version: 1 | 2,
    private readonly tools: GpiodTools,
  ) {
    this.description = `${chip} through libgpiod v${version} tools`;
  }

  /** Finds the tools and the chip (`auto`: the one labelled like the Pi's header controller). */
  static async open(chip: string, tools: Partial<GpiodTools> = {}): Promise<LibgpiodGpio> {
    const paths = { ...DEFAULT_TOOLS, ...tools };
    const version = parseToolsVersion(await run(paths.gpioset, ['--version']));
    let name = chip;
    if (chip === 'auto') {
      const detected = await run(paths.gpiodetect, []);
      name = pickHeaderChip(detected) ?? 'gpiochip0';
    }
    return new LibgpiodGpio(name, version, paths);
  }

  private setArgs(line: number, value: boolean, activeLow: boolean): string[] {
    const assignment = `${line}=${value ? 1 : 0}`;
    const low = activeLow ? ['--active-low'] : [];
    // v1 ends at once unless told to wait for a signal; v2 holds the line until it is ended.
    return this.version === 1
      ? ['--mode=signal', ...low, this.chip, assignment]
      : ['--chip', this.chip, '--consumer', 'wattbus', ...low, assignment];
  }

  private getArgs(line: number, activeLow: boolean): string[] {
    const low = activeLow ? ['--active-low'] : [];
    return this.version === 1
      ? [...low, this.chip, String(line)]
      : ['--chip', this.chip, '--numeric', ...low, String(line)];
  }

  private async readLine(line: number, activeLow: boolean): Promise<boolean> {
    const output = (await run(this.tools.gpioget, this.getArgs(line, activeLow))).trim();
    if (output !== '0' && output !== '1')
      throw new Error(`gpioget printed ${JSON.stringify(output)}, not 0 or 1`);
    return output === '1';
  }

  /** Starts a gpioset that holds the line at `value`; resolves once it is clearly holding it. */
  private hold(line: number, value: boolean, activeLow: boolean): Promise<ChildProcess> {
    const args = this.setArgs(line, value, activeLow);
    return new Promise((resolve, reject) => {
      const child = spawn(this.tools.gpioset, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      track(child);
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      const timer = setTimeout(() => {
        child.removeAllListeners('exit');
        resolve(child);
      }, SETTLE_MS);
      child.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(error.code === 'ENOENT' ? installHint(this.tools.gpioset) : error.message));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `gpioset ${args.join(' ')} ended at once (${signal ?? `exit ${code}`}): ${stderr.trim()}`,
          ),
        );
      });
    });
  }

  async request(request: LineRequest): Promise<GpioLine> {
    const activeLow = request.activeLow === true;
    const { line, label } = request;
    if (request.direction === 'input') {
      let value = await this.readLine(line, activeLow);
      return {
        label,
        get value() {
          return value;
        },
        set: async () => {
          throw new Error(`${label} is an input`);
        },
        read: async () => {
          value = await this.readLine(line, activeLow);
          return value;
        },
        release: async () => {},
      };
    }

    let value = request.initial === true;
    let holder: ChildProcess | undefined = await this.hold(line, value, activeLow);
    const end = async () => {
      const child = holder;
      holder = undefined;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const ended = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await ended;
    };
    return {
      label,
      get value() {
        return value;
      },
      set: async (next: boolean) => {
        if (next === value && holder && holder.exitCode === null) return;
        await end();
        holder = await this.hold(line, next, activeLow);
        value = next;
      },
      read: async () => value,
      release: async () => {
        // As RPi.GPIO's cleanup(): low, released, left as an input.
        if (value) {
          await end();
          holder = await this.hold(line, false, activeLow);
          value = false;
        }
        await end();
        await this.readLine(line, activeLow).catch(() => false);
      },
    };
  }
}
