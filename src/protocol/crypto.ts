// The one crypto interface of WhatsUDP and the choice of its backend. Everything above it (handshake,
// session cipher, message signatures, sealed rooms, identity) takes a `Crypto` and never imports
// node:crypto or @noble directly, so both backends run the same code and the same tests.
//
// node:crypto is the default (fast, native). In desktop VS Code it is Electron's BoringSSL, which has
// had broken primitives in some versions (HKDF), so at first use a known-answer self-test checks it and,
// if any answer is wrong or missing, the audited pure-JS @noble libraries take over, with a reason the
// caller logs. Nothing here is home-made cryptography: Ed25519 (RFC 8032), X25519 (RFC 7748),
// HKDF-SHA256 (RFC 5869), SHA-256 and AES-256-GCM (NIST SP 800-38D) come from those two libraries.
import { createNobleCrypto } from './crypto-noble';
import { createNodeCrypto } from './crypto-node';
import { selfTest } from './crypto-kat';
import { CryptoError, type Crypto } from './crypto-types';

export * from './crypto-types';

/** The node:crypto backend, untested: use selectCrypto() unless you mean this one (tests, bench). */
export const nodeCrypto: Crypto = createNodeCrypto();

/** The @noble backend. Asynchronous because @noble v2 is ESM-only and this code also runs as CommonJS. */
export function loadNobleCrypto(): Promise<Crypto> {
  return createNobleCrypto();
}

export interface CryptoChoice {
  crypto: Crypto;
  /** Set when node:crypto failed its self-test and @noble is used instead: one sentence for the log. */
  fallbackReason?: string;
}

let choice: Promise<CryptoChoice> | undefined;

/**
 * The backend to use, chosen once per process: node:crypto if it passes the known-answer self-test,
 * otherwise @noble. Rejects (CryptoError) only if neither passes, which means a broken installation.
 */
export function selectCrypto(): Promise<CryptoChoice> {
  choice ??= choose(nodeCrypto, loadNobleCrypto);
  return choice;
}

/** The choice itself, with the backends passed in so that a test can hand it a broken one. */
export async function choose(preferred: Crypto, fallback: () => Promise<Crypto>): Promise<CryptoChoice> {
  const problem = selfTest(preferred);
  if (!problem) return { crypto: preferred };
  const other = await fallback();
  const otherProblem = selfTest(other);
  if (otherProblem) throw new CryptoError(`No working crypto: ${preferred.backend} ${problem}, and ${other.backend} ${otherProblem}.`);
  return { crypto: other, fallbackReason: `${preferred.backend} ${problem}; using ${other.backend} instead.` };
}
