// Measure 8, its batch: the crypto half of issue 8's "10,000-message backfill with every signature
// verified in under 2 s". 10,000 messages from 20 authors (texts of 20-300 characters, seeded), each
// signed by its author's device key beforehand, are verified one after the other as a client reading
// a backfill would: each author's key imported on first sight and kept, every message's signing input
// encoded and checked. Per backend, a few runs; the figure is the median run, CPU and wall time.
// Signatures are not on the wire yet (message-signature.ts is built and tested, not wired): this is
// what verifying will cost, not yet what a backfill costs end to end.
import { memberId } from '../src/protocol/fingerprint';
import { loadNobleCrypto, nodeCrypto, type Bytes, type Crypto, type VerifyKey } from '../src/protocol/crypto';
import { signMessage, verifyMessage, type SignedMessage } from '../src/protocol/message-signature';
import { median, round, seededRandom } from './lib/stats';

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
