import { describe, expect, it } from 'vitest';
import { answerCleanSessionAcks } from './clean-session-acks.js';

class Store {
  cleared: string[] = [];
  async setup(): Promise<void> {}
  async outgoingClearMessageId(client: { id: string }, packet: { messageId: number }) {
    this.cleared.push(`${client.id}:${packet.messageId}`);
    return { messageId: packet.messageId, topic: 'stored' };
  }
}

describe('answerCleanSessionAcks', () => {
  it('answers a clean session at once and asks the store for a persistent one', async () => {
    const store = new Store();
    const persistence = answerCleanSessionAcks(store);
    expect(
      await persistence.outgoingClearMessageId({ id: 'clean', clean: true } as never, { messageId: 1 }),
    ).toBe(undefined);
    expect(
      await persistence.outgoingClearMessageId({ id: 'kept', clean: false } as never, { messageId: 2 }),
    ).toEqual({ messageId: 2, topic: 'stored' });
    expect(store.cleared).toEqual(['kept:2']);
    expect(persistence.setup.constructor.name).toBe('AsyncFunction');
  });
});
