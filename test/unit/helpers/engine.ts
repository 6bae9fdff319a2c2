// Test fixtures for the chat engine: a relay and clients on 127.0.0.1 with fast timers, a way to
// wait for what a user would see, and cleanup that stops everything a test started.
import { ChatClient, Relay, type ClientOptions, type RelayOptions, type RoomMessage } from '../../../src/chat';

/** Timers scaled down so tests run in seconds; the PTO floor stays the protocol's 25 ms. */
export const FAST_CLIENT = { joinTimeoutMs: 3000, heartbeatMs: 300, rejoinMinMs: 50, rejoinMaxMs: 300 };
export const FAST_RELAY = { heartbeatMs: 300, leaseBeats: 3 };

export class Harness {
  private readonly closers: (() => Promise<void>)[] = [];

  async relay(opts: RelayOptions = {}): Promise<Relay> {
    const relay = await Relay.start({ port: 0, ...opts, timers: { ...FAST_RELAY, ...opts.timers } });
    this.closers.push(() => relay.close());
    return relay;
  }

  /** A client that records every message it delivers. */
  async client(server: { host: string; port: number }, name: string, opts: Partial<ClientOptions> = {}): Promise<Recorder> {
    const client = new ChatClient({ server, name, ...opts, timers: { ...FAST_CLIENT, ...opts.timers } });
    const rec = new Recorder(client);
    this.closers.push(() => client.close());
    await client.start();
    return rec;
  }

  track(close: () => Promise<void> | void): void {
    this.closers.push(async () => close());
  }

  async close(): Promise<void> {
    for (const c of this.closers.splice(0).reverse()) await c().catch(() => undefined);
  }
}

export class Recorder {
  readonly messages: RoomMessage[] = [];
  readonly lost: number[] = [];
  readonly states: string[] = [];

  constructor(readonly client: ChatClient) {
    client.on('message', (m) => this.messages.push(m));
    client.on('lost', (n) => this.lost.push(n));
    client.on('state', (s) => this.states.push(s.state));
  }

  texts(): string[] {
    return this.messages.map((m) => `${m.sender.name}: ${m.text}`);
  }
}

/** Polls `check` until it holds or `ms` pass; then throws with `what`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Asserts each seq appears once, with no gaps, in increasing order. */
export function seqsInOrder(messages: RoomMessage[]): boolean {
  return messages.every((m, i) => i === 0 || m.seq === messages[i - 1].seq + 1);
}
