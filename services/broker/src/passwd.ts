#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { exitOnConfigError } from '@wattbus/shared/config/errors.js';
import { loadConfig } from '@wattbus/shared/config/load.js';
import { parseCommandLine } from '@wattbus/shared/service/lifecycle.js';
import { z } from 'zod';
import { passwordFilePath } from './access/access-control.js';
import { hashPassword, readPasswordFile, Username, writePasswordFile } from './access/password-file.js';
import { readPassword } from './cli/read-password.js';

const PROGRAM = 'wattbus-broker-passwd';
const MIN_PASSWORD_LENGTH = 8;

const USAGE = `usage: ${PROGRAM} add USER | remove USER | list  [--file FILE] [--config FILE]

Manages the users of the embedded broker's password file (scrypt hashes). A running broker reads the file again
within a few seconds of a change; no restart is needed. What each user may do comes from [broker] acl_file.

  add USER       add USER, or give USER a new password. On a terminal the password is asked twice; otherwise it is
                 the first line of standard input:  printf '%s\\n' "$PASSWORD" | ${PROGRAM} add nodered
  remove USER    remove USER
  list           list the users

  --file FILE    the password file (default: [broker] password_file of config.toml, else <data_dir>/passwd)
  --config FILE  the config.toml to read [broker] from (default: WATTBUS_CONFIG, else ./config.toml)

In a compose deployment:  docker compose exec broker node services/broker/dist/passwd.js add alice
From a checkout:          npm run broker:passwd -- add alice`;

const Arguments = z
  .object({
    file: z.string().min(1).optional(),
    config: z.string().min(1).optional(),
    positionals: z.array(z.string()),
  })
  .superRefine((args, context) => {
    const [command, user, ...extra] = args.positionals;
    const problem = (message: string) => context.addIssue({ code: 'custom', path: ['positionals'], message });
    if (command === undefined) return problem('a command is required: add, remove or list');
    if (command !== 'add' && command !== 'remove' && command !== 'list') {
      return problem(`unknown command "${command}": use add, remove or list`);
    }
    if (command === 'list') {
      if (user !== undefined) problem('list takes no user');
      return;
    }
    if (user === undefined) return problem(`${command} needs a USER`);
    const valid = Username.safeParse(user);
    if (!valid.success) problem(`the username "${user}" ${valid.error.issues[0]!.message}`);
    if (extra.length > 0) problem(`unexpected arguments: ${extra.join(' ')}`);
  });

const args = parseCommandLine(
  process.argv.slice(2),
  { file: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  Arguments,
  USAGE,
);
const [command, username] = args.positionals as ['add' | 'remove' | 'list', string];

let path: string;
try {
  path = args.file ?? passwordFilePath(loadConfig({ path: args.config }).config.broker);
} catch (error) {
  exitOnConfigError(error, PROGRAM);
}

function fail(message: string, code = 1): never {
  process.stderr.write(`${PROGRAM}: ${message}\n`);
  process.exit(code);
}

/** A folder that cannot be created or a file that cannot be written is the user's to fix: say so, not a stack. */
function save(users: Map<string, string>): void {
  try {
    writePasswordFile(path, users);
  } catch (error) {
    fail(`cannot write ${path}: ${(error as Error).message}`, 73);
  }
}

let users: Map<string, string>;
try {
  users = readPasswordFile(path);
} catch (error) {
  exitOnConfigError(error, PROGRAM);
}

switch (command) {
  case 'list':
    if (!existsSync(path)) process.stderr.write(`${PROGRAM}: ${path} does not exist yet; no users\n`);
    for (const name of [...users.keys()].sort()) process.stdout.write(`${name}\n`);
    break;
  case 'remove':
    if (!users.delete(username)) fail(`there is no user "${username}" in ${path}`);
    save(users);
    process.stdout.write(`removed ${username} from ${path}\n`);
    break;
  case 'add': {
    let password: string;
    try {
      password = await readPassword(`password for ${username}: `);
      if (process.stdin.isTTY && (await readPassword('again: ')) !== password) fail('the passwords differ');
    } catch (error) {
      fail((error as Error).message, 130);
    }
    if (password.length < MIN_PASSWORD_LENGTH) {
      fail(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    const existed = users.has(username);
    users.set(username, await hashPassword(password));
    save(users);
    process.stdout.write(`${existed ? 'changed the password of' : 'added'} ${username} in ${path}\n`);
    break;
  }
}
