import { readFileSync } from 'node:fs';
import { ConfigError } from '@wattbus/shared/config/errors.js';
import type { Access, AccessRule } from './rules.js';
import { filterProblem } from './topic-filter.js';

/**
 * An acl_file in Mosquitto's format:
 *
 *     # topic lines before the first `user` line apply to anonymous clients
 *     topic read wattbus/readings
 *     user alice
 *     topic readwrite wattbus/devices/#
 *     topic deny wattbus/bridge/#
 *     # pattern lines apply to every client; %u is the username, %c the client id
 *     pattern write dashboards/%c/#
 *
 * The access word is optional (default `readwrite`); topics may contain spaces.
 */
export interface AclFile {
  anonymous: AccessRule[];
  users: Map<string, AccessRule[]>;
  patterns: AccessRule[];
}

const ACCESS_WORDS = new Set<Access>(['read', 'write', 'readwrite', 'deny']);

export function parseAclFile(text: string, source: string): AclFile {
  const acl: AclFile = { anonymous: [], users: new Map(), patterns: [] };
  const problems: string[] = [];
  let current: AccessRule[] = acl.anonymous;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${source}:${index + 1}`;
    const [keyword, ...rest] = line.split(/\s+/);
    if (keyword === 'user') {
      const username = line.slice('user'.length).trim();
      if (username === '') {
        problems.push(`${where}: "user" needs a username`);
        return;
      }
      current = acl.users.get(username) ?? [];
      acl.users.set(username, current);
      return;
    }
    if (keyword !== 'topic' && keyword !== 'pattern') {
      problems.push(`${where}: unknown keyword "${keyword}" (expected user, topic or pattern)`);
      return;
    }
    let access: Access = 'readwrite';
    let filter = line.slice(keyword.length).trim();
    if (rest.length > 1 && ACCESS_WORDS.has(rest[0] as Access)) {
      access = rest[0] as Access;
      filter = filter.slice(rest[0]!.length).trim();
    }
    const problem = filter === '' ? 'is missing' : filterProblem(filter);
    if (problem) {
      problems.push(`${where}: the topic ${filter === '' ? '' : `"${filter}" `}${problem}`);
      return;
    }
    (keyword === 'pattern' ? acl.patterns : current).push({ access, filter });
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return acl;
}

export function readAclFile(path: string): AclFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`[broker] acl_file: cannot read ${path}: ${(error as Error).message}`]);
  }
  return parseAclFile(text, path);
}

/** A level that would act as a wildcard or span levels once substituted into a pattern. */
const UNSAFE_SUBSTITUTION = /[+#/]/;

/**
 * The pattern lines for one client, with %u and %c filled in. A grant is skipped when the username or client id
 * contains `+`, `#` or `/` (it would grant more than one level); a deny is kept, since it can only refuse more.
 * Patterns that mention %u do not apply to anonymous clients.
 */
export function substitutePatterns(
  patterns: readonly AccessRule[],
  username: string | undefined,
  clientId: string,
): AccessRule[] {
  const rules: AccessRule[] = [];
  for (const pattern of patterns) {
    const usesUser = pattern.filter.includes('%u');
    const usesClient = pattern.filter.includes('%c');
    if (usesUser && username === undefined) continue;
    const unsafe =
      (usesUser && UNSAFE_SUBSTITUTION.test(username ?? '')) ||
      (usesClient && UNSAFE_SUBSTITUTION.test(clientId));
    if (unsafe && pattern.access !== 'deny') continue;
    const filter = pattern.filter.replaceAll('%u', username ?? '').replaceAll('%c', clientId);
    if (filterProblem(filter)) continue;
    rules.push({ access: pattern.access, filter });
  }
  return rules;
}
