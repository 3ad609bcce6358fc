/**
 * The reference's downsampling (power-calculation.md section 9): a `rp_5min` retention policy kept forever, and
 * continuous queries that store 5-minute means of power and current and the 5-minute energy
 * (`integral(power) / 3600000`, kWh) of home, net, solar and each CT into it.
 */

export const DOWNSAMPLED_POLICY = 'rp_5min';

/** One downsampling rule: the source measurement, the tags kept, the target measurement. */
export interface Downsample {
  readonly name: string;
  readonly from: string;
  readonly into: string;
  readonly groupBy: readonly string[];
}

export const DOWNSAMPLES: readonly Downsample[] = [
  { name: 'cq_home_load_5m', from: 'home_load', into: 'home_load_5m', groupBy: ['id'] },
  { name: 'cq_net_5m', from: 'net', into: 'net_5m', groupBy: ['id'] },
  { name: 'cq_solar_5m', from: 'solar', into: 'solar_5m', groupBy: ['id'] },
  // Grouping by the ct tag covers every channel, including ones enabled later.
  { name: 'cq_raw_cts_5m', from: 'raw_cts', into: 'raw_cts_5m', groupBy: ['id', 'ct'] },
];

/** An InfluxQL identifier in double quotes. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function retentionPolicyStatement(database: string): string {
  return `CREATE RETENTION POLICY ${quoteIdentifier(DOWNSAMPLED_POLICY)} ON ${quoteIdentifier(database)} DURATION INF REPLICATION 1`;
}

/**
 * The SELECT of a downsampling rule. `where` narrows it to a time range, which lets a test run the same query on
 * demand instead of waiting for the 5-minute schedule; `into: false` leaves the INTO clause out.
 */
export function downsampleSelect(
  rule: Downsample,
  database: string,
  sourcePolicy: string,
  options: { where?: string; into?: boolean } = {},
): string {
  const source = sourcePolicy
    ? `${quoteIdentifier(database)}.${quoteIdentifier(sourcePolicy)}.${quoteIdentifier(rule.from)}`
    : `${quoteIdentifier(database)}..${quoteIdentifier(rule.from)}`;
  const target = `${quoteIdentifier(database)}.${quoteIdentifier(DOWNSAMPLED_POLICY)}.${quoteIdentifier(rule.into)}`;
  return [
    'SELECT mean("power") AS "power", mean("current") AS "current", integral("power") / 3600000 AS "energy"',
    options.into === false ? '' : `INTO ${target}`,
    `FROM ${source}`,
    options.where ? `WHERE ${options.where}` : '',
    `GROUP BY time(5m), ${rule.groupBy.map(quoteIdentifier).join(', ')}`,
  ]
    .filter((part) => part !== '')
    .join(' ');
}

export function continuousQueryStatements(database: string, sourcePolicy: string): string[] {
  return DOWNSAMPLES.map(
    (rule) =>
      `CREATE CONTINUOUS QUERY ${quoteIdentifier(rule.name)} ON ${quoteIdentifier(database)} BEGIN ${downsampleSelect(rule, database, sourcePolicy)} END`,
  );
}
