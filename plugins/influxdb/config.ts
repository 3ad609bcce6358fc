import { z } from 'zod';

const Url = z
  .string()
  .refine(
    (url) => /^https?:\/\/[^/\s]+\/?$/.test(url),
    'must be an http:// or https:// URL such as http://localhost:8086',
  );

const Seconds = (min: number, max: number) =>
  z
    .number({ error: 'must be a number of seconds' })
    .finite()
    .min(min, `must be at least ${min} seconds`)
    .max(max, `must be at most ${max} seconds`);

const Count = (min: number, max: number) =>
  z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/**
 * `[plugins.influxdb]`. Version 1 takes the reference's `[database]` keys (host, port, username, password,
 * database_name); version 2 takes url, org, bucket and token.
 */
export const InfluxConfig = z
  .strictObject({
    version: z
      .union([z.literal(1), z.literal(2)], { error: 'must be 1 (InfluxDB 1.x) or 2 (InfluxDB 2.x)' })
      .default(1),
    /** The whole server URL; for version 1 it replaces host, port and ssl. */
    url: Url.optional(),
    host: z.string().trim().min(1, 'must not be empty').default('localhost'),
    port: z
      .number({ error: 'must be a port number from 1 to 65535, without quotes' })
      .int('must be a whole number')
      .min(1, 'must be 1-65535')
      .max(65535, 'must be 1-65535')
      .default(8086),
    ssl: z.boolean({ error: 'must be true or false' }).default(false),
    username: z.string().default(''),
    password: z.string().default(''),
    database_name: z.string().min(1, 'must not be empty').max(255).default('power_monitor'),
    /** The retention policy points are written into; "" is the database's default policy. */
    retention_policy: z.string().max(255).default(''),
    create_database: z.boolean({ error: 'must be true or false' }).default(true),
    /** Create the rp_5min retention policy and the 5-minute continuous queries (version 1 only). */
    continuous_queries: z.boolean({ error: 'must be true or false' }).default(false),
    org: z.string().default(''),
    bucket: z.string().default(''),
    token: z.string().default(''),
    /** The `id` tag of every point; defaults to [general] name. */
    site: z.string().min(1, 'must not be empty').optional(),
    /** Seconds between two sets of points. */
    interval: Seconds(0.1, 3600).default(1),
    /** Points are written once at least this many are waiting (the reference writes batches of 25). */
    batch_size: Count(1, 100_000).default(25),
    /** The most points one HTTP request carries, e.g. when a backlog is written after an outage. */
    max_batch: Count(1, 100_000).default(5000),
    /** Points kept while the database is unreachable; the oldest are dropped (and counted) beyond this. */
    buffer_size: Count(1, 10_000_000).default(100_000),
    /** One HTTP request may take this long. */
    timeout: Seconds(0.1, 300).default(10),
    /** The longest wait between two attempts while the database is down (the wait doubles from 1 s). */
    max_retry_delay: Seconds(0.1, 3600).default(30),
  })
  .superRefine((config, context) => {
    const missing = (key: string, why: string) =>
      context.addIssue({ code: 'custom', path: [key], message: why });
    if (config.version === 2) {
      if (!config.url) missing('url', 'is required with version = 2 (e.g. "http://localhost:8086")');
      if (!config.org) missing('org', 'is required with version = 2: the organisation name');
      if (!config.bucket) missing('bucket', 'is required with version = 2: the bucket to write to');
      if (!config.token)
        missing('token', 'is required with version = 2: an API token with write access to the bucket');
      if (config.continuous_queries) {
        missing('continuous_queries', 'works with version = 1 only (InfluxDB 2 downsamples with tasks)');
      }
    }
    if (config.max_batch < config.batch_size) {
      missing('max_batch', `must be at least batch_size (${config.batch_size})`);
    }
    if (config.buffer_size < config.max_batch) {
      missing('buffer_size', `must be at least max_batch (${config.max_batch})`);
    }
  });
export type InfluxConfig = z.infer<typeof InfluxConfig>;
