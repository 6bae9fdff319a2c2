// Device identity: the names people and the wire give a key, the key file (0600, made once even by
// racing processes), and the trust-on-first-use pins for relays and members.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { base32, displayFingerprint, fingerprint, fromBase32, memberId, parseFingerprint, safetyCode } from '../../src/protocol/fingerprint';
import {
  checkDhCertificate,
  configDir,
  FileStore,
  IdentityError,
  loadOrCreateIdentity,
  MemberPins,
  MemoryStore,
  newIdentity,
  parseIdentity,
  RelayPins,
  trustRelay,
  updateMemberPins,
} from '../../src/chat/identity';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-identity-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const key = (n: number) => c.signingKey(new Uint8Array(32).fill(n)).publicKey;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('what a key is called', () => {
  test('base32 is RFC 4648 (lower case, no padding), and only its canonical form reads back', () => {
    const vectors = [['', ''], ['f', 'my'], ['fo', 'mzxq'], ['foo', 'mzxw6'], ['foob', 'mzxw6yq'], ['fooba', 'mzxw6ytb'], ['foobar', 'mzxw6ytboi']];
    for (const [plain, encoded] of vectors) {
      assert.equal(base32(new TextEncoder().encode(plain)), encoded);
      assert.equal(new TextDecoder().decode(fromBase32(encoded.toUpperCase())), plain);
    }
    assert.equal(fromBase32('mz'), undefined, 'stray low bits');
    assert.equal(fromBase32('m1'), undefined, 'not in the alphabet');
  });

  test('member id: the first 8 bytes of SHA-256("whatsudp id" | key); fingerprint: 52 base32 characters of a separate hash', () => {
    const k = key(1);
    assert.equal(hex(memberId(c, k)), createHash('sha256').update('whatsudp id').update(k).digest('hex').slice(0, 16));
    const fp = fingerprint(c, k);
    assert.equal(fp, base32(createHash('sha256').update('whatsudp fingerprint v1').update(k).digest()));
    assert.match(fp, /^[a-z2-7]{52}$/);
    assert.match(displayFingerprint(fp), /^([a-z2-7]{4} ){12}[a-z2-7]{4}$/);
    assert.equal(parseFingerprint(displayFingerprint(fp).toUpperCase()), fp);
    assert.equal(parseFingerprint(fp.slice(1)), undefined);
  });

  test('safety code: 60 digits in groups of 5, the same from both sides, different for any other pair', () => {
    const [ann, bob, eve] = [key(1), key(2), key(3)];
    const code = safetyCode(c, ann, bob);
    assert.match(code, /^(\d{5} ){11}\d{5}$/);
    assert.equal(safetyCode(c, bob, ann), code);
    assert.notEqual(safetyCode(c, ann, eve), code);
    assert.notEqual(safetyCode(c, eve, bob), code);
    // frozen, so two versions of WhatsUDP show two people the same code
    assert.equal(code, safetyCode(c, key(2), key(1)));
    assert.equal(safetyCode(c, new Uint8Array(32), new Uint8Array(32).fill(255)), FROZEN_SAFETY_CODE);
  });
});

// Computed apart from this code (Python hashlib): sorted halves of SHA-256(label | key), 40-bit chunks mod 100,000.
const FROZEN_SAFETY_CODE = '73283 87083 37695 33454 42160 38105 78669 17657 03499 20071 44285 88785';

describe('the identity and its file', () => {
  test('a new identity reads back with the same keys; its X25519 key is certified by its Ed25519 key', () => {
    const { identity, text } = newIdentity(c);
    const again = parseIdentity(c, text, 'test');
    assert.equal(hex(again.publicKey), hex(identity.publicKey));
    assert.equal(hex(again.dhKey.publicKey), hex(identity.dhKey.publicKey));
    assert.equal(hex(again.memberId), hex(memberId(c, identity.publicKey)));
    assert.ok(checkDhCertificate(c, identity.publicKey, identity.dhKey.publicKey, identity.dhCertificate));
    assert.equal(checkDhCertificate(c, identity.publicKey, key(9), identity.dhCertificate), false, 'another X25519 key');
    assert.equal(checkDhCertificate(c, key(9), identity.dhKey.publicKey, identity.dhCertificate), false, 'another device');
  });

  test('a damaged identity is an IdentityError that names the file and says what to do', () => {
    const { text } = newIdentity(c);
    const cases: Array<[string, RegExp]> = [
      ['not json', /not JSON/],
      ['{"format":"other"}', /no "format"/],
      [text.replace('"version":1', '"version":2'), /version 2, this WhatsUDP reads 1/],
      [text.replace(/"ed25519":"[^"]+"/, '"ed25519":"short"'), /a bad ed25519 key/],
    ];
    for (const [bad, why] of cases) {
      assert.throws(() => parseIdentity(c, bad, '/home/ann/.config/whatsudp/identity'), (e: Error) => e instanceof IdentityError && e.code === 'CORRUPT' && why.test(e.message) && e.message.includes('/home/ann/.config/whatsudp/identity'));
    }
  });

  test('made on first use: folder 0700, file 0600, the same identity on every later load, no temporary files left', async () => {
    const file = path.join(tmp, 'first', 'whatsudp', 'identity');
    const first = await loadOrCreateIdentity(c, new FileStore(file));
    assert.equal(first.created, true);
    const second = await loadOrCreateIdentity(c, new FileStore(file));
    assert.equal(second.created, false);
    assert.equal(hex(second.identity.publicKey), hex(first.identity.publicKey));
    if (process.platform !== 'win32') {
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
      assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700);
    }
    assert.deepEqual(await fs.readdir(path.dirname(file)), ['identity']);
  });

  test('eight processes starting at once end up with one identity', async () => {
    const file = path.join(tmp, 'race', 'identity');
    const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateIdentity(c, new FileStore(file))));
    assert.equal(new Set(all.map((r) => hex(r.identity.publicKey))).size, 1);
    assert.equal(all.filter((r) => r.created).length, 1);
    const stored = await loadOrCreateIdentity(c, new FileStore(file));
    assert.equal(hex(stored.identity.publicKey), hex(all[0].identity.publicKey));
  });

  test('a key file others can read is refused with the chmod to run', { skip: process.platform === 'win32' }, async () => {
    const file = path.join(tmp, 'open', 'identity');
    await loadOrCreateIdentity(c, new FileStore(file));
    await fs.chmod(file, 0o644);
    await assert.rejects(loadOrCreateIdentity(c, new FileStore(file)), (e: Error) => e instanceof IdentityError && e.code === 'TOO_OPEN' && e.message.includes(`chmod 600 ${file}`));
  });

  test('a key file that cannot be read or written is an IdentityError, not a stack trace', async () => {
    const blocker = path.join(tmp, 'a-file');
    await fs.writeFile(blocker, 'x');
    const store = new FileStore(path.join(blocker, 'identity'));
    await assert.rejects(loadOrCreateIdentity(c, store), (e: Error) => e instanceof IdentityError && e.code === 'UNREADABLE' && e.message.startsWith(`Cannot read ${store.where}: ENOTDIR`));
    await assert.rejects(store.set('x'), (e: Error) => e instanceof IdentityError && e.code === 'UNWRITABLE' && e.message.startsWith(`Cannot write ${store.where}`));
    await assert.rejects(store.create('x'), (e: Error) => e instanceof IdentityError && e.code === 'UNWRITABLE');
  });

  test('a store without create (VS Code SecretStorage) gets the identity with get and set', async () => {
    const map = new Map<string, string>();
    const secrets = { where: "VS Code's secret storage", get: () => Promise.resolve(map.get('id')), set: (v: string) => Promise.resolve(void map.set('id', v)) };
    const a = await loadOrCreateIdentity(c, secrets);
    const b = await loadOrCreateIdentity(c, secrets);
    assert.deepEqual([a.created, b.created], [true, false]);
    assert.equal(hex(a.identity.publicKey), hex(b.identity.publicKey));
  });

  test('the config folder: $XDG_CONFIG_HOME if absolute, else ~/.config; %APPDATA% on Windows', () => {
    assert.equal(configDir({ XDG_CONFIG_HOME: '/x/cfg' }, 'linux'), '/x/cfg/whatsudp');
    assert.equal(configDir({ XDG_CONFIG_HOME: 'relative' }, 'linux'), path.join(os.homedir(), '.config', 'whatsudp'));
    assert.equal(configDir({}, 'darwin'), path.join(os.homedir(), '.config', 'whatsudp'));
    assert.equal(configDir({ APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'win32'), path.join('C:\\Users\\ann\\AppData\\Roaming', 'whatsudp'));
  });
});

describe('relay pins (trust on first use)', () => {
  test('the first key is pinned, the same key matches, a different key is reported with both fingerprints and not pinned', async () => {
    const store = new FileStore(path.join(tmp, 'pins', 'known_relays'));
    assert.deepEqual(await trustRelay(c, store, '192.168.1.20:2410', key(1)), { kind: 'new' });
    assert.deepEqual(await trustRelay(c, store, '192.168.1.20:2410', key(1)), { kind: 'match' });
    const changed = await trustRelay(c, store, '192.168.1.20:2410', key(2));
    assert.equal(changed.kind, 'changed');
    if (changed.kind !== 'changed') return;
    assert.equal(changed.pinned, fingerprint(c, key(1)));
    assert.equal(changed.presented, fingerprint(c, key(2)));
    assert.ok(changed.message.includes(displayFingerprint(changed.pinned)) && changed.message.includes(displayFingerprint(changed.presented)));
    assert.match(changed.message, /^The relay at 192\.168\.1\.20:2410 presents a different key/);
    assert.deepEqual(await trustRelay(c, store, '192.168.1.20:2410', key(1)), { kind: 'match' }, 'the pin stayed');
    assert.deepEqual(await trustRelay(c, store, '192.168.1.20:2411', key(2)), { kind: 'new' }, 'per address');
  });

  test('host names compare without case; comments and lines of later versions survive a rewrite; forget', () => {
    const pins = new RelayPins('# my relays\nother.lan:1 ed448 AAAA\n');
    pins.pin('Relay.LAN:2410', key(1));
    assert.deepEqual(pins.check(c, 'relay.lan:2410', key(1)), { kind: 'match' });
    const text = pins.toText();
    assert.ok(text.startsWith('# my relays\nother.lan:1 ed448 AAAA\nrelay.lan:2410 ed25519 '));
    const again = new RelayPins(text);
    assert.equal(again.toText(), text);
    assert.equal(again.forget('relay.lan:2410'), true);
    assert.deepEqual(again.check(c, 'relay.lan:2410', key(2)), { kind: 'new' });
  });
});

describe('member pins (names are labels, keys are identity)', () => {
  test('new, known, verified, another device or someone else, and a known key under a new name', async () => {
    const store = new MemoryStore();
    const [ann, annLaptop, bob] = [key(1), key(2), key(3)];
    let pins = new MemberPins();
    assert.deepEqual(pins.check(c, 'ann', ann), { kind: 'new' });
    await updateMemberPins(store, (p) => p.pin('ann', ann) && p.pin('bob', bob));
    pins = new MemberPins(await store.get());
    assert.deepEqual(pins.check(c, 'ann', ann), { kind: 'known', verified: false, otherNames: [] });
    await updateMemberPins(store, (p) => (p.verify('ann', ann), true));
    pins = new MemberPins(await store.get());
    assert.deepEqual(pins.check(c, 'ann', ann), { kind: 'known', verified: true, otherNames: [] });
    assert.deepEqual(pins.check(c, 'ann', annLaptop), { kind: 'conflict', pinned: [{ fingerprint: fingerprint(c, ann), verified: true }], keyKnownAs: [] });
    assert.deepEqual(pins.check(c, 'ann', bob), { kind: 'conflict', pinned: [{ fingerprint: fingerprint(c, ann), verified: true }], keyKnownAs: ['bob'] }, 'bob calling himself ann');
    assert.deepEqual(pins.check(c, 'robert', bob), { kind: 'renamed', verified: false, previousNames: ['bob'] });
    pins.pin('ann', annLaptop);
    assert.deepEqual(pins.check(c, 'ann', annLaptop), { kind: 'known', verified: false, otherNames: [] }, 'a second device, once accepted');
    assert.equal(pins.forget('ann'), 2);
    assert.deepEqual(pins.check(c, 'ann', ann), { kind: 'new' });
  });

  test('names with spaces and non-ASCII read back; unknown lines are kept', () => {
    const pins = new MemberPins('# people\nx25519:zzz seen carol\n');
    pins.verify('Zoë van Dam', key(4));
    const again = new MemberPins(pins.toText());
    assert.deepEqual(again.check(c, 'Zoë van Dam', key(4)), { kind: 'known', verified: true, otherNames: [] });
    assert.ok(again.toText().startsWith('# people\nx25519:zzz seen carol\ned25519:'));
    assert.equal(again.pin('Zoë van Dam', key(4)), false, 'already pinned: nothing to write');
  });
});
