import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '@wattbus/shared/config/errors.js';
import { makeDirectory } from '@wattbus/shared/fs/make-directory.js';
import { z } from 'zod';

/**
 * The password file: one `username:hash` line per user, `#` comments allowed, like Mosquitto's password_file but
 * with scrypt hashes (`$scrypt$ln=14,r=8,p=1$<salt>$<hash>`, base64). Only `wattbus-broker-passwd` writes it.
 */
export type PasswordFile = Map<string, string>;

export const Username = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9_.@-]+$/, 'must use only letters, digits and "_", ".", "@", "-"');

/** 2^14 costs 16 MiB and tens of milliseconds per login on a Raspberry Pi 4: slow for guessing, fine for logins. */
const DEFAULT_COST = { ln: 14, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const HASH =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

interface ParsedHash {
  ln: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(encoded: string): ParsedHash | undefined {
  const match = HASH.exec(encoded);
  if (!match) return undefined;
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (ln < 10 || ln > 20 || r < 1 || p < 1) return undefined;
  const key = Buffer.from(match[5]!, 'base64');
  if (key.length < 16) return undefined;
  return { ln, r, p, salt: Buffer.from(match[4]!, 'base64'), key };
}

function derive(
  password: Buffer | string,
  salt: Buffer,
  cost: { ln: number; r: number; p: number },
  length: number,
) {
  const N = 2 ** cost.ln;
  return new Promise<Buffer>((resolve, reject) => {
    // Async scrypt runs on libuv's thread pool, so a login never blocks message delivery.
    scrypt(password, salt, length, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, DEFAULT_COST, KEY_BYTES);
  const { ln, r, p } = DEFAULT_COST;
  return `$scrypt$ln=${ln},r=${r},p=${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: Buffer | string, encoded: string): Promise<boolean> {
  const hash = parseHash(encoded);
  if (!hash) return false;
  const key = await derive(password, hash.salt, hash, hash.key.length);
  return timingSafeEqual(key, hash.key);
}

export function parsePasswordFile(text: string, source: string): PasswordFile {
  const users: PasswordFile = new Map();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${source}:${index + 1}`;
    const colon = line.indexOf(':');
    const username = colon < 0 ? line : line.slice(0, colon);
    const hash = colon < 0 ? '' : line.slice(colon + 1);
    const name = Username.safeParse(username);
    if (!name.success) {
      problems.push(`${where}: username "${username}" ${name.error.issues[0]!.message}`);
    } else if (!parseHash(hash)) {
      problems.push(
        `${where}: the password of "${username}" is not a wattbus scrypt hash; set it again with wattbus-broker-passwd`,
      );
    } else if (users.has(username)) {
      problems.push(`${where}: "${username}" is listed twice`);
    } else {
      users.set(username, hash);
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return users;
}

/** The users of a password file; a file that does not exist yet has none. */
export function readPasswordFile(path: string): PasswordFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new ConfigError([`[broker] password_file: cannot read ${path}: ${(error as Error).message}`]);
  }
  return parsePasswordFile(text, path);
}

/** Writes the whole file through a temporary file and a rename, so the broker never reads half a file. */
export function writePasswordFile(path: string, users: PasswordFile): void {
  const lines = [
    '# wattbus broker users: edit with wattbus-broker-passwd (add, remove, list).',
    ...[...users].sort(([a], [b]) => a.localeCompare(b)).map(([name, hash]) => `${name}:${hash}`),
  ];
  makeDirectory(dirname(path));
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${lines.join('\n')}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}
