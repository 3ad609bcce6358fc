import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from '@wattbus/shared';
import { z } from 'zod';

/** The file's content: client id -> the user who owns its stored session ("" for an anonymous client). */
const OwnersFile = z.record(z.string(), z.string());

/**
 * Who owns each persistent session (clean session off, or an MQTT 5 session that outlives its connection). A stored
 * session holds subscriptions and queued messages; without an owner, another user connecting with the same client
 * id would resume it and receive what was queued for someone else. With the on-disk store, the owners are kept in
 * `<data_dir>/session-owners.json` next to the sessions themselves, so the binding survives a restart as they do.
 */
export class SessionOwners {
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly file: string | undefined,
    private readonly logger: Logger,
  ) {
    if (file) this.load(file);
  }

  ownerOf(clientId: string): string | undefined {
    return this.owners.get(clientId);
  }

  /** The client's session outlives its connection: it belongs to `user` from now on. */
  claim(clientId: string, user: string): void {
    if (this.owners.get(clientId) === user) return;
    this.owners.set(clientId, user);
    this.save();
  }

  /** The client's session ends with its connection (a clean session): nobody owns it any more. */
  release(clientId: string): void {
    if (this.owners.delete(clientId)) this.save();
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.logger.error({ err: (error as Error).message, file }, 'cannot read the owners of stored sessions');
      return;
    }
    let parsed: z.infer<typeof OwnersFile>;
    try {
      parsed = OwnersFile.parse(JSON.parse(text));
    } catch (error) {
      // Losing the owners only means that a stored session can be resumed by another user again until its owner
      // reconnects: a degraded mode worth a loud line, not a broker that will not start.
      this.logger.error(
        { err: (error as Error).message, file },
        'the owners of stored sessions are unreadable and were ignored; each is bound again when its client reconnects',
      );
      return;
    }
    for (const [clientId, user] of Object.entries(parsed)) this.owners.set(clientId, user);
  }

  private save(): void {
    if (!this.file) return;
    const temporary = `${this.file}.tmp`;
    try {
      // Written whole and renamed, so a crash leaves the old file or the new one, never half of one.
      writeFileSync(temporary, JSON.stringify(Object.fromEntries(this.owners)));
      renameSync(temporary, this.file);
    } catch (error) {
      this.logger.error(
        { err: (error as Error).message, file: this.file },
        'cannot save the owners of stored sessions; they hold until the broker restarts',
      );
    }
  }
}
