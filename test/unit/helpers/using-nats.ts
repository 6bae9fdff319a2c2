// What every clustered test sets up: one nats-server for the file (or the describe it is called in),
// started before its tests and stopped after them, and a Harness whose relays and clients stop first.
import { after, before } from 'node:test';
import { Harness } from './engine';
import { NatsFixture } from './nats';

/** `first` runs after the tests, before the harness closes (processes a test started itself). */
export function usingNats(first?: () => Promise<void>): { h: Harness; nats: { readonly urls: string[] } } {
  const h = new Harness();
  let fixture: NatsFixture | undefined;
  before(async () => {
    fixture = await NatsFixture.single();
  });
  after(async () => {
    await first?.();
    await h.close();
    await fixture?.stop();
  });
  const nats = {
    get urls(): string[] {
      if (!fixture) throw new Error('the nats-server of this test file has not started');
      return fixture.urls;
    },
  };
  return { h, nats };
}
