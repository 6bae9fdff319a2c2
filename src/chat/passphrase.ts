// Passphrase rooms (issue 9, optional): a sealed room whose secret is derived from a passphrase that
// people can tell each other, instead of the random one an invite link carries. The derivation is
// scrypt (RFC 7914, node:crypto) with a public salt, the room's name under a label of its own, so one
// passphrase gives each room its own secret and nothing can be computed before a room is named. From
// the secret on, it is a sealed room like any other (verifier, join proof, content key).
// What it cannot give: a random secret cannot be guessed, a passphrase can. Whoever runs the relay
// holds the room's verifier, and can try passphrases against it offline, as many as its machine can
// afford at ~0.3 s and 128 MiB each; a weak passphrase falls. PASSPHRASE_WARNING says so to the user.
import { scryptSync } from 'node:crypto';

/** N = 2^17, r = 8, p = 1: 128 MiB and a few hundred ms per guess (OWASP's scrypt recommendation). */
export const PASSPHRASE_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
export const MIN_PASSPHRASE_CHARS = 12;
const LABEL = 'whatsudp room passphrase v1\0';

export const PASSPHRASE_WARNING =
  'a passphrase room is only as strong as its passphrase: the relay (and anyone who copies its store) can try passphrases against it offline, and a weak one falls; an invite link (--create --sealed) carries a random secret that cannot be guessed';

/** Why `passphrase` cannot be used, or undefined. */
export function passphraseProblem(passphrase: string): string | undefined {
  const chars = [...passphrase.normalize('NFC')].length;
  if (chars === 0) return 'the passphrase is empty';
  if (chars < MIN_PASSPHRASE_CHARS) return `the passphrase is ${chars} characters: a passphrase room needs at least ${MIN_PASSPHRASE_CHARS} (several words are better)`;
  return undefined;
}

/** The room's 32-byte secret: scrypt(NFC(passphrase), LABEL | room name). Takes a few hundred ms. */
export function passphraseSecret(passphrase: string, room: string): Uint8Array {
  const salt = Buffer.concat([Buffer.from(LABEL, 'utf8'), Buffer.from(room, 'utf8')]);
  const { N, r, p } = PASSPHRASE_SCRYPT;
  return Uint8Array.from(scryptSync(Buffer.from(passphrase.normalize('NFC'), 'utf8'), salt, 32, { N, r, p, maxmem: 256 * 1024 * 1024 }));
}
