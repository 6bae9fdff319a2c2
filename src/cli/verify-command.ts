// `whatsudp verify NAME`: the safety code between this device and each key seen under NAME (in
// known_members beside the identity), for two people to read to each other; with --mark, the key is
// recorded as verified once they match (--unmark takes that back). The same code shows on both sides:
// ann runs `whatsudp verify bob`, bob runs `whatsudp verify ann`, or bob uses the extension's Verify.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ChatError, normalizeName } from '../chat';
import { FileStore, IdentityError, loadOrCreateIdentity, MemberPins, defaultIdentityPath, type NamedKey } from '../chat/identity';
import { safetyCodeRows } from '../common/keys';
import { nodeCrypto } from '../protocol/crypto';
import { displayFingerprint, safetyCode } from '../protocol/fingerprint';
import { UsageError } from './args';
import { escapeName, jsonLine } from './format';
import { EXIT } from './help';
import { errorLine, type Io, type Session } from './session';

export interface VerifyArgs {
  name: string;
  identity: string;
  /** Fingerprint characters (spaces and dashes dropped, lower case) that choose one key of the name. */
  key?: string;
  mark: boolean;
  unmark: boolean;
  json: boolean;
}

export function parseVerifyArgs(args: string[]): VerifyArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { identity: { type: 'string' }, key: { type: 'string' }, mark: { type: 'boolean' }, unmark: { type: 'boolean' }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError((err instanceof Error ? err.message : String(err)).split(/\.\s/)[0].replace(/\.$/, ''));
  }
  const { values: v, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'verify needs the NAME of the person to verify' : `verify takes one NAME, not ${positionals.length} (quote a name with spaces)`);
  const name = normalizeName(positionals[0]);
  if (name === '') throw new UsageError('verify needs the NAME of the person to verify');
  if (v.mark && v.unmark) throw new UsageError('--mark and --unmark cannot go together');
  if (v.identity === '') throw new UsageError('--identity needs a file name');
  const key = v.key?.replace(/[\s-]+/g, '').toLowerCase();
  if (key !== undefined && !/^[a-z2-7]{4,52}$/.test(key)) throw new UsageError(`--key must be a key fingerprint or its first characters (at least 4), not "${v.key}"`);
  return { name, identity: v.identity ?? defaultIdentityPath(), ...(key ? { key } : {}), mark: v.mark === true, unmark: v.unmark === true, json: v.json === true };
}

/** Exit 9: the name (or the --key under it) was never seen on this device. */
class NotPinned extends Error {}

export function startVerify(args: VerifyArgs, io: Io): Session {
  const done = verify(args, io).catch((err: unknown) => {
    if (err instanceof NotPinned) {
      io.err(`whatsudp: ${err.message}`);
      return EXIT.NOT_PINNED;
    }
    // A key or pin file that cannot be used is the user's to fix, as `chat` says it (exit 2).
    if (err instanceof IdentityError) {
      io.err(errorLine(new ChatError('BAD_OPTION', err.message)));
      return EXIT.USAGE;
    }
    io.err(errorLine(err));
    return err instanceof UsageError ? EXIT.USAGE : EXIT.INTERNAL;
  });
  return { done, stop: () => done.then(() => undefined) };
}

async function verify(args: VerifyArgs, io: Io): Promise<number> {
  const c = nodeCrypto;
  const pinFile = new FileStore(path.join(path.dirname(args.identity), 'known_members'));
  const pins = new MemberPins((await pinFile.get()) ?? '');
  const shown = escapeName(args.name);
  const all = pins.keysOf(c, args.name);
  if (all.length === 0) {
    throw new NotPinned(`no key has been seen under the name ${shown} on this device (${pinFile.where}): join a room where they are, with whatsudp chat or the extension, then verify them`);
  }
  const keys = args.key ? all.filter((k) => k.fingerprint.startsWith(args.key!)) : all;
  if (keys.length === 0) throw new NotPinned(`none of the ${all.length} key${all.length === 1 ? '' : 's'} seen under ${shown} starts with ${args.key}: ${all.map((k) => displayFingerprint(k.fingerprint)).join(', ')}`);
  if ((args.mark || args.unmark) && keys.length > 1) {
    throw new UsageError(`${shown} has ${keys.length} keys here${args.key ? ` starting with ${args.key}` : ''}: choose the one whose code matched with --key FP (${keys.map((k) => k.fingerprint.slice(0, 12)).join(', ')})`);
  }

  const { identity } = await loadOrCreateIdentity(c, new FileStore(args.identity));
  if (args.mark || args.unmark) {
    const key = keys[0].key;
    // A fresh read: a chat running meanwhile may have pinned someone since.
    const latest = new MemberPins((await pinFile.get()) ?? '');
    if (args.mark) latest.verify(args.name, key);
    else latest.unverify(args.name, key);
    await pinFile.set(latest.toText());
    keys[0] = { ...keys[0], verified: args.mark };
    io.err(`* ${args.mark ? 'marked' : 'no longer marked'} as verified: ${shown}'s key ${displayFingerprint(keys[0].fingerprint)}`);
  }

  const rows = keys.map((k) => ({ ...k, code: safetyCode(c, identity.publicKey, k.key) }));
  if (args.json) {
    for (const r of rows) io.out(jsonLine({ name: args.name, fingerprint: r.fingerprint, verified: r.verified, safetyCode: r.code }));
    return EXIT.OK;
  }
  io.out(`your key: ${displayFingerprint(identity.fingerprint)}`);
  for (const r of rows) io.out(keyText(shown, r));
  if (!args.mark && !args.unmark) {
    io.err(`* read the code aloud with ${shown}, in person or on a call (they see the same one with: whatsudp verify YOUR-NAME, or the extension's Verify Member);`);
    io.err(`  if it matches, record it with: whatsudp verify ${quoted(args.name)} --mark${keys.length > 1 ? ' --key FP' : ''}`);
  }
  return EXIT.OK;
}

function keyText(shown: string, r: NamedKey & { code: string }): string {
  return [
    '',
    `${shown}'s key: ${displayFingerprint(r.fingerprint)} (${r.verified ? 'verified' : 'not verified'})`,
    `safety code, you and ${shown}:`,
    ...safetyCodeRows(r.code).map((row) => `  ${row}`),
  ].join('\n');
}

/** The name as it would be typed in a shell command (quoted when it has anything but plain characters). */
function quoted(name: string): string {
  return /^[\p{L}\p{N}._@+-]+$/u.test(name) ? name : `'${escapeName(name).replace(/'/g, "'\\''")}'`;
}
