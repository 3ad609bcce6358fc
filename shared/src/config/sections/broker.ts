import { z } from 'zod';
import { Port, Seconds } from './common.js';

const Host = z.string().min(1, 'must be an address such as 0.0.0.0, 127.0.0.1 or ::');
/** An optional bind address: empty means "the same as [broker] host". */
const OptionalHost = z.string().default('');

/**
 * The embedded broker (services/broker). Every listener has its own port (0 turns it off) and bind address (empty:
 * `host`). The hardening limits have safe defaults for a home network; docs/broker.md explains each.
 */
export const BrokerSection = z
  .strictObject({
    /** Bind address of every listener whose own `*_host` is empty. */
    host: Host.default('0.0.0.0'),
    /** MQTT over TCP; 0 turns it off. */
    port: Port.default(1883),
    websocket_host: OptionalHost,
    /** MQTT over WebSocket (browser dashboards); 0 turns it off. */
    websocket_port: Port.default(8083),
    websocket_path: z
      .string()
      .regex(/^\/[A-Za-z0-9._~/-]*$/, 'must be a URL path starting with "/", such as /mqtt')
      .default('/mqtt'),
    tls_host: OptionalHost,
    /** MQTT over TLS; listens only when both tls_cert_file and tls_key_file are set. 0 turns it off. */
    tls_port: Port.default(8883),
    /** PEM certificate (chain) of the TLS listener. */
    tls_cert_file: z.string().default(''),
    /** PEM private key of the TLS listener. */
    tls_key_file: z.string().default(''),
    health_host: OptionalHost,
    /** HTTP `GET /health` for container health checks; 0 turns it off. */
    health_port: Port.default(8081),

    /** Lets clients without a username connect, with full access except publishing to $SYS. Loopback demo only. */
    allow_anonymous: z.boolean().default(false),
    /** Users with scrypt-hashed passwords, managed by `wattbus-broker-passwd`. Empty: `<data_dir>/passwd`. */
    password_file: z.string().default(''),
    /** Access rules in Mosquitto's acl_file format. Empty: users of the password file get full access. */
    acl_file: z.string().default(''),

    /** Where the LevelDB store lives (store = "level"). */
    data_dir: z.string().min(1).default('data/broker'),
    /**
     * `level`: retained messages and sessions on disk (the default); `memory`: lost on restart; `redis`: cluster
     * mode, several broker instances sharing redis_url for both messages and state.
     */
    store: z
      .enum(['level', 'memory', 'redis'], { message: 'must be "level", "memory" or "redis"' })
      .default('level'),
    /** Redis for store = "redis", e.g. redis://:password@redis:6379/0 (rediss:// for TLS). */
    redis_url: z
      .string()
      .refine(
        (url) => url === '' || /^rediss?:\/\/[^/]/.test(url),
        'must be a URL such as redis://redis:6379/0',
      )
      .default(''),

    /** Topics with more levels are refused (aedes can route at most 100). */
    max_topic_levels: z
      .number()
      .int('must be an integer')
      .min(1, 'must be 1-100')
      .max(100, 'must be 1-100')
      .default(32),
    /**
     * Largest packet a client may send, in bytes; larger ones close the connection. 0 means no limit. Generous
     * because the registry's retained `<base>/bridge/devices` lists every unit (several hundred bytes each).
     */
    max_packet_size: z
      .number()
      .int('must be an integer')
      .min(0, 'must be 0 (no limit) or more bytes')
      .max(268_435_455, 'must be at most 268435455 (the MQTT maximum)')
      .default(8 * 1024 * 1024),
    /** Longest keepalive a client may ask for (MQTT 3.1.1 clients above it are refused; MQTT 5 ones are told). */
    keepalive_limit: Seconds.max(65_535, 'must be at most 65535 seconds').default(300),
    /** How long a subscriber may leave its socket full before it is dropped, so it cannot stall delivery. */
    drain_timeout: Seconds.min(1, 'must be at least 1 second').default(15),
    /** How long a new connection may take to send its CONNECT packet. */
    connect_timeout: Seconds.min(1, 'must be at least 1 second').default(10),
    /** New connections per second allowed from one address, on average; 0 turns the limit off. */
    connect_rate_limit: z.number().finite().min(0, 'must be 0 (off) or more').default(10),
    /** How many connections one address may open at once before connect_rate_limit applies. */
    connect_rate_burst: z.number().int('must be an integer').min(1, 'must be at least 1').default(60),
    /** MQTT 5: the longest session expiry a client may ask for; 0 means no cap. */
    session_expiry_limit: Seconds.default(7 * 24 * 3600),
    /** MQTT 5: how many disconnected sessions (and delayed wills) may wait at once; 0 means no cap. */
    pending_sessions_limit: z.number().int().min(0).default(10_000),
  })
  .superRefine((broker, context) => {
    if (broker.store === 'redis' && broker.redis_url === '') {
      context.addIssue({
        code: 'custom',
        path: ['redis_url'],
        message: 'must be set when store = "redis"',
      });
    }
    if ((broker.tls_cert_file === '') !== (broker.tls_key_file === '')) {
      context.addIssue({
        code: 'custom',
        path: [broker.tls_cert_file === '' ? 'tls_cert_file' : 'tls_key_file'],
        message: 'tls_cert_file and tls_key_file must be set together',
      });
    }
  });
export type BrokerSection = z.infer<typeof BrokerSection>;
