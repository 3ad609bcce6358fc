import { ConfigError } from '@wattbus/shared/config/errors.js';
import { Username } from './password-file.js';

export const SERVICE_ACCOUNT_PREFIX = 'WATTBUS_SERVICE_ACCOUNT_';

export interface ServiceAccounts {
  /** username -> password */
  accounts: Map<string, string>;
  /** Accounts declared with an empty password; they cannot log in. `npm start` leaves them empty on purpose. */
  disabled: string[];
}

/**
 * Service accounts from the environment: `WATTBUS_SERVICE_ACCOUNT_<NAME>=<password>` is the user `<name>` in lower
 * case. docker-compose.yml declares one per service and per plugin container, each from its own variable in .env.
 */
export function readServiceAccounts(env: NodeJS.ProcessEnv): ServiceAccounts {
  const accounts = new Map<string, string>();
  const disabled: string[] = [];
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(SERVICE_ACCOUNT_PREFIX)) continue;
    const username = name.slice(SERVICE_ACCOUNT_PREFIX.length).toLowerCase();
    const valid = Username.safeParse(username);
    if (!valid.success) {
      problems.push(`${name}: the username "${username}" ${valid.error.issues[0]!.message}`);
    } else if (!value) {
      disabled.push(username);
    } else {
      accounts.set(username, value);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { accounts, disabled };
}
