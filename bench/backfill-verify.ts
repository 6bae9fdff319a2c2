// Measure 8, its batch: the crypto half of issue 8's "10,000-message backfill with every signature
// verified in under 2 s". 10,000 messages from 20 authors (texts of 20-300 characters, seeded), each
// signed by its author's device key beforehand, are verified one after the other as a client reading
// a backfill would: each author's key imported on first sight and kept, every message's signing input
// encoded and checked. Per backend, a few runs; the figure is the median run, CPU and wall time.
// backfillEndToEnd below is the same target through the real relay and client, signatures on the wire.
import { memberId } from '../src/protocol/fingerprint';
import { loadNobleCrypto, nodeCrypto, type Bytes, type Crypto, type VerifyKey } from '../src/protocol/crypto';
import { signMessage, verifyMessage, type SignedMessage } from '../src/protocol/message-signature';
import { median, round, seededRandom } from './lib/stats';
import { ChatClient } from '../src/chat/client/client';
import { Relay } from '../src/chat/relay/relay';
import { closeMembers, createMembers, joinAll } from './raw-member';

export type Backend = 'node:crypto' | '@noble';

export interface BackfillRun {
  cpuMs: number;
  wallMs: number;
}

export interface BackfillResult {
  messages: number;
  authors: number;
  /** Median run per backend, and every run. */
  perBackend: Record<Backend, { cpuMs: number; wallMs: number; usPerMessage: number; runs: BackfillRun[] }>;
}

const AUTHORS = 20;

function signedBackfill(c: Crypto, messages: number): { public: Bytes[]; signed: Array<{ m: SignedMessage; sig: Bytes; by: number }> } {
  const random = seededRandom(8);
  const keys = Array.from({ length: AUTHORS }, () => c.signingKey(c.random(32)));
  const ids = keys.map((k) => memberId(c, k.publicKey));
  const signed = Array.from({ length: messages }, (_, i) => {
    const by = Math.floor(random() * AUTHORS);
    const text = 'w'.repeat(20 + Math.floor(random() * 281));
    const m: SignedMessage = { roomId: 7n, author: ids[by], msgId: i + 1, body: { kind: 'text', text } };
    return { m, sig: signMessage(keys[by], m), by };
  });
  return { public: keys.map((k) => k.publicKey), signed };
}

/** One pass over the backfill: every signature checked, each author's key imported once. */
function verifyAll(c: Crypto, b: ReturnType<typeof signedBackfill>): BackfillRun {
  const known = new Map<string, VerifyKey>();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const { m, sig, by } of b.signed) {
    const id = Buffer.from(m.author).toString('hex');
    let key = known.get(id);
    if (!key) known.set(id, (key = c.verifyKey(b.public[by]))); // the author's key, as the roster gave it
    if (!verifyMessage(key, m, sig)) throw new Error('a backfill signature did not verify');
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: round((cpu.user + cpu.system) / 1000, 1), wallMs: round(wallMs, 1) };
}

export async function backfillVerify(messages: number, runs: Record<Backend, number>): Promise<BackfillResult> {
  const backends: Record<Backend, Crypto> = { 'node:crypto': nodeCrypto, '@noble': await loadNobleCrypto() };
  const perBackend = {} as BackfillResult['perBackend'];
  for (const name of Object.keys(backends) as Backend[]) {
    const c = backends[name];
    const backfill = signedBackfill(c, messages);
    const all = Array.from({ length: runs[name] }, () => verifyAll(c, backfill));
    const cpuMs = round(median(all.map((r) => r.cpuMs)), 1);
    perBackend[name] = { cpuMs, wallMs: round(median(all.map((r) => r.wallMs)), 1), usPerMessage: round((cpuMs * 1000) / messages, 1), runs: all };
  }
  return { messages, authors: AUTHORS, perBackend };
}

export interface EndToEndBackfill {
  messages: number;
  /** From a new ChatClient's start() to its last backfilled message, every one verified (median run). */
  wallMs: number;
  runs: number[];
  verified: number;
}

/** The same target end to end: a relay (in this process) holding `messages` signed messages from 20
 * members, and a new ChatClient joining for a backfill of all of them, each signature checked before
 * it is delivered, as a member's panel or terminal would get them. */
export async function backfillEndToEnd(messages: number, runs: number): Promise<EndToEndBackfill> {
  const relay = await Relay.start({
    host: '127.0.0.1', port: 0,
    limits: { backfillMessages: messages, historyMessages: messages, historyBytes: 64 * 1024 * 1024, memberMessagesPerSecond: 100_000, memberBurst: 100_000, hostMessagesPerSecond: 1_000_000, hostMessageBurst: 1_000_000 },
  });
  const server = relay.address();
  const authors = await createMembers(server, AUTHORS);
  try {
    await joinAll(authors);
    const random = seededRandom(8);
    for (let i = 0; i < messages; i += 200) {
      for (let j = i; j < Math.min(messages, i + 200); j++) authors[Math.floor(random() * AUTHORS)].say('w'.repeat(20 + Math.floor(random() * 281)));
      const end = performance.now() + 10_000;
      while (relay.stats().headSeq < Math.min(messages, i + 200) && performance.now() < end) await sleep(2);
    }
    if (relay.stats().headSeq < messages) throw new Error(`the relay sequenced ${relay.stats().headSeq} of ${messages}`);
    const times: number[] = [];
    let verified = 0;
    for (let r = 0; r < runs; r++) {
      const client = new ChatClient({ server, name: `reader${r}`, wantsRoster: false });
      let n = 0;
      const t0 = performance.now();
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`backfill: ${n} of ${messages} after 30 s`)), 30_000);
        client.on('message', (m) => {
          n++;
          if (m.verified) verified++;
          if (n === messages) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await client.start();
      await done;
      times.push(round(performance.now() - t0, 0));
      await client.close();
    }
    return { messages, wallMs: round(median(times), 0), runs: times, verified: verified / runs };
  } finally {
    await closeMembers(authors);
    await relay.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
