// Measure 8: what the v2 crypto costs per message, on each backend (node:crypto, and the @noble
// fallback that desktop VS Code falls to if its BoringSSL fails the self-test). Each operation runs
// in a tight loop in this process for a fixed time, a few times over; the figure is the median CPU
// time per operation. One core, no sockets: this is the CPU a relay or client spends on crypto alone.
import { answerHandshake, finishHandshake, startHandshake } from '../src/protocol/handshake';
import { loadNobleCrypto, nodeCrypto, type Crypto } from '../src/protocol/crypto';
import { selfTest } from '../src/protocol/crypto-kat';
import { memberId } from '../src/protocol/fingerprint';
import { signMessage, verifyMessage, type SignedMessage } from '../src/protocol/message-signature';
import { newRoomSecret, RoomKey } from '../src/protocol/sealed-room';
import { SessionOpener, SessionSealer } from '../src/protocol/session-cipher';
import { median, round } from './lib/stats';

export interface CryptoOp {
  name: string;
  /** Microseconds per operation, median of the runs, per backend. */
  us: Record<'node:crypto' | '@noble', number>;
}

export interface CryptoResult {
  ops: CryptoOp[];
  runs: number;
  msPerRun: number;
  nobleLoadMs: number;
  selfTestMs: Record<'node:crypto' | '@noble', number>;
}

/**
 * CPU microseconds per call of `fn`, over about `ms` of calls after a short warm-up. CPU time, not
 * wall time, because the benchmark machine is shared: a neighbour's load would otherwise count as ours.
 */
function timeIt(fn: () => void, ms: number): number {
  const warm = performance.now() + Math.min(50, ms / 4);
  while (performance.now() < warm) fn();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

/** The operations, each prepared on backend `c` (keys made outside the timed loop, as in use). */
function operations(c: Crypto): Array<[string, () => void]> {
  const device = c.signingKey(c.random(32));
  const verifier = c.verifyKey(device.publicKey);
  const text = 'x'.repeat(200); // a typical chat line is shorter; a paste is longer
  const msg: SignedMessage = { roomId: 7n, author: memberId(c, device.publicKey), msgId: 1, body: { kind: 'text', text } };
  const sig = signMessage(device, msg);
  const ctx = { relayAddress: '127.0.0.1:2410', cookie: c.random(16) };
  const relayKey = c.signingKey(c.random(32));
  const p = startHandshake(c, device, ctx);
  const r = answerHandshake(c, relayKey, ctx, p.hello);
  if (!r.ok) throw new Error('handshake failed');
  const sealer = new SessionSealer(c, r.keys.send);
  const prefix = new Uint8Array(11);
  const full = new Uint8Array(1200 - prefix.length - 24);
  const small = new Uint8Array(60); // with the prefix, packet number and tag: a short chat line's Msg
  // The opener's replay window takes each packet number once, so open a pool of sealed datagrams
  // with a fresh opener per pass over it (its construction is one key setup, amortised over 4,096).
  const pool = (payload: Uint8Array) => Array.from({ length: 4096 }, () => sealer.seal(prefix, payload));
  const opening = (datagrams: Uint8Array[]) => {
    let opener = new SessionOpener(c, r.keys.send);
    let i = 0;
    return () => {
      if (i === datagrams.length) [opener, i] = [new SessionOpener(c, r.keys.send), 0];
      if (!opener.open(datagrams[i++], prefix.length).ok) throw new Error('did not open');
    };
  };
  const [fullPool, smallPool] = [pool(full), pool(small)];
  const room = new RoomKey(c, newRoomSecret(c), 0);
  const header = { roomId: 7n, author: msg.author, msgId: 1 };
  const [content, big] = [new Uint8Array(200), new Uint8Array(64 * 1024)];
  const [sealedContent, sealedBig] = [room.seal(header, content), room.seal(header, big)];
  return [
    ['sign a 200-byte message (Ed25519)', () => signMessage(device, msg)],
    ['verify it, member key kept', () => void (verifyMessage(verifier, msg, sig) || fail())],
    ['verify it, key imported each time', () => void (verifyMessage(c.verifyKey(device.publicKey), msg, sig) || fail())],
    ['session seal, 1,200-byte datagram', () => sealer.seal(prefix, full)],
    ['session open, 1,200-byte datagram', opening(fullPool)],
    ['session seal, 95-byte datagram', () => sealer.seal(prefix, small)],
    ['session open, 95-byte datagram', opening(smallPool)],
    ['room seal, 200 bytes', () => room.seal(header, content)],
    ['room open, 200 bytes', () => void (room.open(header, sealedContent) ?? fail())],
    ['room seal, 64 KiB', () => room.seal(header, big)],
    ['room open, 64 KiB', () => void (room.open(header, sealedBig) ?? fail())],
    ['handshake, client start (X25519 key, sign)', () => startHandshake(c, device, ctx)],
    ['handshake, client finish (verify, X25519, HKDF)', () => void (finishHandshake(c, p, r.reply).ok || fail())],
    ['handshake, relay side (verify, X25519, sign, HKDF)', () => void (answerHandshake(c, relayKey, ctx, p.hello).ok || fail())],
    [
      'handshake, both sides',
      () => {
        const hp = startHandshake(c, device, ctx);
        const hr = answerHandshake(c, relayKey, ctx, hp.hello);
        if (!hr.ok || !finishHandshake(c, hp, hr.reply).ok) fail();
      },
    ],
  ];
}

const fail = (): never => {
  throw new Error('a crypto operation failed its own check');
};

export async function cryptoCost(runs: number, msPerRun: number): Promise<CryptoResult> {
  const t0 = performance.now();
  const noble = await loadNobleCrypto();
  const nobleLoadMs = performance.now() - t0;
  const backends = { 'node:crypto': nodeCrypto, '@noble': noble } as const;
  const selfTestMs = { 'node:crypto': 0, '@noble': 0 };
  const perBackend: Record<string, Array<[string, () => void]>> = {};
  for (const [name, c] of Object.entries(backends)) {
    const s = performance.now();
    if (selfTest(c)) throw new Error(`${name} fails its self-test`);
    selfTestMs[name as keyof typeof selfTestMs] = round(performance.now() - s, 2);
    perBackend[name] = operations(c);
  }
  const ops: CryptoOp[] = perBackend['node:crypto'].map(([name], i) => {
    const us = { 'node:crypto': 0, '@noble': 0 };
    for (const b of Object.keys(backends) as Array<keyof typeof us>) {
      const fn = perBackend[b][i][1];
      const samples = Array.from({ length: runs }, () => timeIt(fn, msPerRun));
      us[b] = round(median(samples), 2);
    }
    return { name, us };
  });
  return { ops, runs, msPerRun, nobleLoadMs: round(nobleLoadMs, 1), selfTestMs };
}
