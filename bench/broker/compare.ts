import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForPort } from '../../test/helpers/ports.js';
import { REPO_ROOT } from '../../test/helpers/processes.js';
import { tempDir } from '../../test/helpers/temp.js';
import { median, memory, percentile } from '../lib/proc-stats.js';
import { benchBrokerEnv, shippedBrokerNodeOptions } from '../lib/shipped-broker.js';
import { type Target, type ThroughputOptions, throughput } from './load.js';

/**
 * Side-by-side comparison of embedded-broker variants (Node.js flags, environment) against Mosquitto, for tuning:
 * all brokers run at once, and each round measures every one of them in turn, so load from other work on the
 * machine hits them alike. Reports each variant's median and its median ratio to Mosquitto within a round.
 *
 *   npx tsx bench/broker/compare.ts [--rounds 7] [--scenario '{"qos":0,"publishers":10,"subscribers":1}'] \
 *     '' '--max-semi-space-size=64' 'env:WATTBUS__BROKER__STORE=memory'
 *
 * Each argument is one variant: Node.js flags, or `env:KEY=VALUE[,KEY=VALUE]`; '' is the broker as it ships (with the
 * NODE_OPTIONS docker-compose.yml gives it), every other variant starts without them ('--' alone: Node's defaults).
 */
interface Broker extends Target {
  process: ChildProcess;
}

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(`--${name}`);
  if (index < 0) return fallback;
  return args.splice(index, 2)[1] ?? fallback;
};
const rounds = Number(option('rounds', '7'));
const scenario: ThroughputOptions = {
  publishers: 10,
  subscribers: 1,
  qos: 0,
  ...(JSON.parse(option('scenario', '{}')) as Partial<ThroughputOptions>),
};
const variants = args.length > 0 ? args : [''];

function start(name: string, command: string, argv: string[], env: NodeJS.ProcessEnv, port: number): Broker {
  const child = spawn(command, argv, { env, stdio: 'ignore' });
  return { name, port, pid: child.pid!, process: child };
}

const dir = tempDir('wattbus-compare-');
const brokers: Broker[] = [];
try {
  for (const [index, variant] of variants.entries()) {
    const port = await freePort();
    const extraEnv = variant.startsWith('env:')
      ? Object.fromEntries(
          variant
            .slice(4)
            .split(',')
            .map((pair) => pair.split('=', 2) as [string, string]),
        )
      : {};
    const flags = variant.startsWith('env:') ? [] : variant.split(/\s+/).filter(Boolean);
    brokers.push(
      start(
        variant || 'as shipped',
        process.execPath,
        [...flags, join(REPO_ROOT, 'services/broker/dist/main.js')],
        {
          ...process.env,
          // '' is the broker as it ships, with the NODE_OPTIONS of docker-compose.yml; other variants start bare.
          NODE_OPTIONS: variant === '' ? shippedBrokerNodeOptions() : undefined,
          ...benchBrokerEnv(port, join(dir.path, `broker-${index}`)),
          ...extraEnv,
        },
        port,
      ),
    );
  }
  const port = await freePort();
  const config = join(dir.path, 'mosquitto.conf');
  writeFileSync(
    config,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest none'].join('\n'),
  );
  brokers.push(start('mosquitto', 'mosquitto', ['-c', config], process.env, port));
  await Promise.all(brokers.map((broker) => waitForPort(broker.port, 30_000)));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const atRest = new Map(brokers.map((broker) => [broker.name, memory(broker.pid).rss]));

  for (const broker of brokers) await throughput(broker, { ...scenario, warmup: 0.5, measure: 1 });
  const results = new Map<string, number[]>(brokers.map((broker) => [broker.name, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first, so no variant always follows the same one.
    const order = brokers.map((_, i) => brokers[(i + round) % brokers.length]!);
    for (const broker of order)
      results.get(broker.name)!.push((await throughput(broker, scenario)).deliveries);
    process.stderr.write(`round ${round + 1} of ${rounds} done\n`);
  }
  const reference = results.get('mosquitto')!;
  process.stdout.write(`${JSON.stringify(scenario)}, ${rounds} rounds, deliveries/s:\n`);
  for (const [name, values] of results) {
    const ratios = values.map((value, i) => (value / reference[i]!) * 100).sort((a, b) => a - b);
    process.stdout.write(
      `${name.padEnd(40)} median ${Math.round(median(values))}, per-round ratio to Mosquitto median ` +
        `${median(ratios).toFixed(1)} % (quartiles ${percentile(ratios, 25).toFixed(0)}-${percentile(ratios, 75).toFixed(0)} %); ` +
        `RSS ${atRest.get(name)!.toFixed(0)} MiB at rest, peak ${memory(brokers.find((b) => b.name === name)!.pid).peak.toFixed(0)} MiB; ` +
        `rounds: ${values.map(Math.round).join(' ')}\n`,
    );
  }
} finally {
  for (const broker of brokers) broker.process.kill('SIGTERM');
  await Promise.all(
    brokers.map((broker) =>
      broker.process.exitCode === null
        ? new Promise((resolve) => broker.process.once('exit', resolve))
        : undefined,
    ),
  );
  dir.remove();
}
