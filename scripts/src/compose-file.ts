import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The part of docker-compose.yml that `npm start` runs: each service's command, environment, published ports,
 * start order and restart policy, plus the `x-wattbus-local` environment that applies only to local runs.
 */
const Environment = z
  .union([
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    z.array(z.string()),
  ])
  .optional();

const ComposeService = z.looseObject({
  command: z
    .array(z.string(), { error: 'must be an array: ["node", "services/x/dist/main.js"]' })
    .min(1, 'must name a program'),
  environment: Environment,
  ports: z.array(z.string()).optional(),
  depends_on: z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).optional(),
  restart: z.enum(['no', 'always', 'on-failure', 'unless-stopped']).optional(),
  'x-wattbus-local': z.strictObject({ environment: Environment }).optional(),
});

const ComposeFile = z.looseObject({ services: z.record(z.string(), ComposeService) });

export type RestartPolicy = 'no' | 'always' | 'on-failure' | 'unless-stopped';

export interface LocalService {
  name: string;
  command: string[];
  env: Record<string, string>;
  dependsOn: string[];
  restart: RestartPolicy;
  /** Container port -> published host port. */
  ports: Map<number, number>;
}

/** Supplies a value for a required (`:?`) variable that is not set. */
export type RequiredValue = (name: string) => string;

/**
 * A random secret per variable name, the same for every service of one run: locally, the passwords that compose
 * requires from .env are generated, so the broker and each service still share credentials and every service runs
 * under its own account and access rules, as in containers.
 */
export function generatedSecrets(): RequiredValue {
  const secrets = new Map<string, string>();
  return (name) => {
    let secret = secrets.get(name);
    if (!secret) {
      secret = randomBytes(18).toString('base64url');
      secrets.set(name, secret);
    }
    return secret;
  };
}

/**
 * Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}` and `$$`.
 * A missing `:?` variable is not an error locally: `required` supplies it.
 */
export function interpolate(
  text: string,
  variables: NodeJS.ProcessEnv,
  required: RequiredValue = () => '',
): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (
      match,
      braced: string | undefined,
      operator: string | undefined,
      argument: string | undefined,
      bare?: string,
    ) => {
      if (match === '$$') return '$';
      const name = braced ?? bare!;
      const value = variables[name];
      if (operator === ':-') return value ? value : (argument ?? '');
      if (operator === '-') return value ?? argument ?? '';
      if (operator === ':?' || operator === '?') return value || required(name);
      return value ?? '';
    },
  );
}

function environmentOf(
  raw: z.infer<typeof Environment>,
  variables: NodeJS.ProcessEnv,
  required: RequiredValue,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const [name, ...rest] = entry.split('=');
      env[name!] = interpolate(rest.join('='), variables, required);
    }
  } else if (raw) {
    for (const [name, value] of Object.entries(raw)) {
      env[name] = value === null ? '' : interpolate(String(value), variables, required);
    }
  }
  return env;
}

function portsOf(raw: string[] | undefined, variables: NodeJS.ProcessEnv): Map<number, number> {
  const ports = new Map<number, number>();
  for (const entry of raw ?? []) {
    const parts = interpolate(entry, variables).split(':');
    const container = Number(parts[parts.length - 1]);
    const host = Number(parts[parts.length - 2] ?? container);
    if (Number.isInteger(container) && Number.isInteger(host)) ports.set(container, host);
  }
  return ports;
}

/**
 * Rewrites what only makes sense inside the compose network: `//broker:1883` becomes `//127.0.0.1:<published
 * port>`, and container paths under /app/ become paths in the repository (the image's /app is the repository).
 */
export function localise(
  value: string,
  services: Map<string, Map<number, number>>,
  repoRoot: string,
  configPath: string,
): string {
  let result = value.replace(/\/\/([A-Za-z0-9_.-]+):(\d+)/g, (match, host: string, port: string) => {
    const published = services.get(host);
    if (!published) return match;
    return `//127.0.0.1:${published.get(Number(port)) ?? port}`;
  });
  if (result === '/app/config.toml') return configPath;
  result = result.replace(/^\/app\//, `${repoRoot}/`);
  return result;
}

export function readComposeFile(
  path: string,
  variables: NodeJS.ProcessEnv,
  repoRoot: string,
  configPath: string,
): LocalService[] {
  const parsed = ComposeFile.safeParse(parseYaml(readFileSync(path, 'utf8'), { merge: true }));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`${path} cannot be run locally:\n  ${problems.join('\n  ')}`);
  }
  const entries = Object.entries(parsed.data.services);
  const required = generatedSecrets();
  const published = new Map(entries.map(([name, service]) => [name, portsOf(service.ports, variables)]));
  return entries.map(([name, service]) => {
    const env = {
      ...environmentOf(service.environment, variables, required),
      ...environmentOf(service['x-wattbus-local']?.environment, variables, required),
    };
    for (const key of Object.keys(env)) env[key] = localise(env[key]!, published, repoRoot, configPath);
    const dependsOn = Array.isArray(service.depends_on)
      ? service.depends_on
      : Object.keys(service.depends_on ?? {});
    return {
      name,
      command: service.command.map((part) => localise(part, published, repoRoot, configPath)),
      env,
      dependsOn,
      restart: service.restart ?? 'no',
      ports: published.get(name)!,
    };
  });
}

/** Services in an order where each comes after what it depends on. */
export function startOrder(services: LocalService[]): LocalService[] {
  const byName = new Map(services.map((service) => [service.name, service]));
  const ordered: LocalService[] = [];
  const visiting = new Set<string>();
  const visit = (service: LocalService) => {
    if (ordered.includes(service)) return;
    if (visiting.has(service.name)) throw new Error(`depends_on cycle through ${service.name}`);
    visiting.add(service.name);
    for (const dependency of service.dependsOn) {
      const target = byName.get(dependency);
      if (!target) throw new Error(`${service.name} depends on unknown service ${dependency}`);
      visit(target);
    }
    visiting.delete(service.name);
    ordered.push(service);
  };
  for (const service of services) visit(service);
  return ordered;
}
