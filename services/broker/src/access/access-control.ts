import { createHash, timingSafeEqual } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import { join } from 'node:path';
import type { BrokerSection, Logger, TopicRoots } from '@wattbus/shared';
import { ConfigError } from '@wattbus/shared/config/errors.js';
import { type AclFile, readAclFile, substitutePatterns } from './acl-file.js';
import { hashPassword, type PasswordFile, readPasswordFile, verifyPassword } from './password-file.js';
import { describeRole, roleOf, roleRules } from './roles.js';
import { type AccessRule, AccessRules, FULL_ACCESS } from './rules.js';
import { readServiceAccounts } from './service-accounts.js';

export interface AccessControlOptions {
  settings: BrokerSection;
  roots: TopicRoots;
  /** The `[plugins.<id>]` ids of config.toml, to match `plugin_<id>` accounts. */
  pluginIds: readonly string[];
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

/** MQTT 3.1.1 CONNACK return codes; aedes maps them to the MQTT 5 reason codes 0x86 and 0x87. */
export const BAD_USERNAME_OR_PASSWORD = 4;
export const NOT_AUTHORIZED = 5;

export type Verdict =
  | { ok: true; username: string | undefined; rules: AccessRules }
  | { ok: false; returnCode: typeof BAD_USERNAME_OR_PASSWORD | typeof NOT_AUTHORIZED; reason: string };

function digest(value: Buffer | string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The password file path: `[broker] password_file`, or `passwd` in the data directory. */
export function passwordFilePath(settings: BrokerSection): string {
  return settings.password_file || join(settings.data_dir, 'passwd');
}

/**
 * Who may connect and what each client may do. Users come from two places: service accounts in the environment
 * (with built-in roles for sampler, registry, homeassistant and plugin_<id>) and the password file (human users,
 * with rules from the acl_file). The files are read again when they change, so `wattbus-broker-passwd add` takes
 * effect without a restart.
 */
export class AccessControl {
  private readonly settings: BrokerSection;
  private readonly logger: Logger;
  private readonly serviceAccounts: Map<string, Buffer>;
  private passwords: PasswordFile = new Map();
  private acl: AclFile | undefined;
  private dummyHash: Promise<string> | undefined;
  readonly passwordFile: string;
  private watching = false;

  constructor(private readonly options: AccessControlOptions) {
    this.settings = options.settings;
    this.logger = options.logger;
    this.passwordFile = passwordFilePath(this.settings);
    const { accounts, disabled } = readServiceAccounts(options.env);
    this.serviceAccounts = new Map([...accounts].map(([name, password]) => [name, digest(password)]));
    if (disabled.length > 0) {
      const level = this.settings.allow_anonymous ? 'debug' : 'warn';
      this.logger[level]({ accounts: disabled }, 'service accounts with an empty password are disabled');
    }
    for (const name of this.serviceAccounts.keys()) {
      const role = roleOf(name, options.pluginIds);
      this.logger.debug({ username: name, rules: role ? describeRole(role) : 'acl_file' }, 'service account');
    }
    this.load();
  }

  /** Reads the password and ACL files; throws ConfigError when one is invalid. */
  private load(): void {
    const passwords = readPasswordFile(this.passwordFile);
    const acl = this.settings.acl_file ? readAclFile(this.settings.acl_file) : undefined;
    for (const name of passwords.keys()) {
      if (this.serviceAccounts.has(name)) {
        this.logger.warn(
          { username: name, file: this.passwordFile },
          'user is both a service account and in the password file; the service account password applies',
        );
      }
    }
    this.passwords = passwords;
    this.acl = acl;
    this.logger.info(
      {
        serviceAccounts: this.serviceAccounts.size,
        users: passwords.size,
        passwordFile: this.passwordFile,
        aclFile: this.settings.acl_file || undefined,
        allowAnonymous: this.settings.allow_anonymous,
      },
      'access control loaded',
    );
  }

  /** Reads the files again; a broken file is reported and the previous users and rules stay in force. */
  reload(): void {
    try {
      this.load();
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [String(error)];
      this.logger.error(
        { problems },
        'not reloading users and rules: the files are invalid; keeping the old ones',
      );
    }
  }

  /** Polls the files (inotify does not see changes through every bind mount), reloading on change. */
  watch(intervalMs = 2000): void {
    if (this.watching) return;
    this.watching = true;
    for (const path of this.watchedFiles()) {
      watchFile(path, { interval: intervalMs, persistent: false }, (current, previous) => {
        if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) this.reload();
      });
    }
  }

  unwatch(): void {
    if (!this.watching) return;
    this.watching = false;
    for (const path of this.watchedFiles()) unwatchFile(path);
  }

  private watchedFiles(): string[] {
    return [this.passwordFile, ...(this.settings.acl_file ? [this.settings.acl_file] : [])];
  }

  async authenticate(
    username: string | undefined,
    password: Buffer | undefined,
    clientId: string,
  ): Promise<Verdict> {
    if (username === undefined || username === '') {
      if (password !== undefined && password.length > 0) {
        return { ok: false, returnCode: BAD_USERNAME_OR_PASSWORD, reason: 'a password without a username' };
      }
      if (!this.settings.allow_anonymous) {
        return { ok: false, returnCode: NOT_AUTHORIZED, reason: 'anonymous access is off' };
      }
      return { ok: true, username: undefined, rules: this.rulesFor(undefined, clientId) };
    }
    const given = password ?? Buffer.alloc(0);
    const account = this.serviceAccounts.get(username);
    let valid: boolean;
    if (account) {
      valid = timingSafeEqual(digest(given), account);
    } else {
      const hash = this.passwords.get(username);
      // An unknown user costs as much as a known one, so response times do not reveal which usernames exist.
      this.dummyHash ??= hashPassword('not a password');
      valid = await verifyPassword(given, hash ?? (await this.dummyHash));
      valid &&= hash !== undefined;
    }
    if (!valid)
      return { ok: false, returnCode: BAD_USERNAME_OR_PASSWORD, reason: 'wrong username or password' };
    return { ok: true, username, rules: this.rulesFor(username, clientId) };
  }

  /** The rules of a client that has authenticated (docs/broker.md, "Access rules"). */
  rulesFor(username: string | undefined, clientId: string): AccessRules {
    const acl = this.acl;
    if (username === undefined) {
      if (!acl) return new AccessRules(FULL_ACCESS, 'anonymous');
      return new AccessRules(
        [...acl.anonymous, ...substitutePatterns(acl.patterns, undefined, clientId)],
        'acl_file (anonymous)',
      );
    }
    const role = this.serviceAccounts.has(username) ? roleOf(username, this.options.pluginIds) : undefined;
    if (role) {
      // A role's own rules, plus whatever a `user` block of the acl_file adds; pattern lines are for people.
      const extra: AccessRule[] = acl?.users.get(username) ?? [];
      return new AccessRules([...roleRules(role, this.options.roots), ...extra], describeRole(role));
    }
    if (!acl) return new AccessRules(FULL_ACCESS, 'full access (no acl_file)');
    return new AccessRules(
      [...(acl.users.get(username) ?? []), ...substitutePatterns(acl.patterns, username, clientId)],
      'acl_file',
    );
  }
}
