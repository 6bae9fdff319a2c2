// Direct messages' names and secrets (dm.ts) and the key wrap a rotation hands each kept member
// (key-wrap.ts): both sides agree without talking, nobody else gets the same, and the answers are
// pinned (known answers computed once with Python's `cryptography` package as well, so a change to a
// derivation cannot pass unnoticed) on node:crypto and @noble alike.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CryptoError, loadNobleCrypto, nodeCrypto, type Crypto } from '../../src/protocol/crypto';
import { dmKeys, dmRoomName, dmSecret } from '../../src/protocol/dm';
import { unwrapSecret, wrapSecret, WRAPPED_SECRET_BYTES } from '../../src/protocol/key-wrap';

let noble: Crypto;
before(async () => {
  noble = await loadNobleCrypto();
});

const fill = (n: number) => new Uint8Array(32).fill(n);
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : 'undefined');
const utf8 = (s: string) => new TextEncoder().encode(s);

// The known answers: device keys from the Ed25519 seeds 01..01 and 02..02, X25519 secrets 03..03 and 04..04.
const KAT_NAME = 'dm-lt7k3lmj6wvmee4cbilgsjtx27';
const KAT_SECRET = '7ff546d1daf316854f453f7ac019bfbc97d7cd2db2b7e382dfd0593ffdffe50d';
// A wrap of 07..07 to the X25519 key of 04..04 with AD "ad" (made once; wraps are random).
const KAT_WRAP = 'f833a2f64c8dbe9811c412329709196b05eaf7f84bd959a7f741786645a53371d79c53eae7c4f001a589c35446659843f8f5f0bb20315ee80d9de46402e25f36535dbca4c10e9f2fc21fd422a235092dd3e9e4e701515e77a05d2c22';

function party(c: Crypto, n: number) {
  return { key: c.signingKey(fill(n)).publicKey, dh: c.dhKey(fill(n + 2)) };
}

describe('DM room names and secrets', () => {
  for (const name of ['node:crypto', '@noble']) {
    test(`${name}: the known answers`, () => {
      const c = name === '@noble' ? noble : nodeCrypto;
      const [a, b] = [party(c, 1), party(c, 2)];
      assert.equal(dmRoomName(c, a.key, b.key), KAT_NAME);
      assert.equal(hex(dmSecret(c, a.dh, b.dh.publicKey, a.key, b.key)), KAT_SECRET);
      assert.equal(hex(unwrapSecret(c, b.dh, Buffer.from(KAT_WRAP, 'hex'), utf8('ad'))), hex(fill(7)));
    });
  }

  test('the name is the same in either order, dm- and lower-case base32 (a valid room name), and another pair gets another', () => {
    const c = nodeCrypto;
    const [a, b, m] = [party(c, 1), party(c, 2), party(c, 9)];
    const name = dmRoomName(c, a.key, b.key);
    assert.equal(dmRoomName(c, b.key, a.key), name);
    assert.match(name, /^dm-[a-z2-7]{26}$/);
    assert.notEqual(dmRoomName(c, a.key, m.key), name);
    assert.notEqual(dmRoomName(c, m.key, b.key), name);
  });

  test('both sides compute the same secret alone; a third key, or a third party with either public key, gets another', () => {
    const c = nodeCrypto;
    const [a, b, mallory] = [party(c, 1), party(c, 2), party(c, 9)];
    const fromA = dmSecret(c, a.dh, b.dh.publicKey, a.key, b.key);
    const fromB = dmSecret(noble, noble.dhKey(fill(4)), a.dh.publicKey, b.key, a.key);
    assert.equal(hex(fromA), hex(fromB));
    assert.notEqual(hex(dmSecret(c, mallory.dh, b.dh.publicKey, a.key, b.key)), hex(fromA), 'mallory posing as a');
    assert.notEqual(hex(dmSecret(c, mallory.dh, a.dh.publicKey, a.key, b.key)), hex(fromA), 'mallory posing as b');
    assert.notEqual(hex(dmSecret(c, a.dh, mallory.dh.publicKey, a.key, mallory.key)), hex(fromA));
    assert.notEqual(hex(dmSecret(c, a.dh, b.dh.publicKey, a.key, mallory.key)), hex(fromA), 'the same DH pair for other device keys');
  });

  test('a DM with yourself, a short key or a low-order peer key is refused with a CryptoError', () => {
    const c = nodeCrypto;
    const a = party(c, 1);
    assert.throws(() => dmRoomName(c, a.key, a.key), CryptoError);
    assert.throws(() => dmKeys(a.key, a.key.subarray(1)), CryptoError);
    assert.throws(() => dmSecret(c, a.dh, new Uint8Array(32), a.key, party(c, 2).key), CryptoError);
  });
});

describe('key wrap', () => {
  const c = nodeCrypto;
  const secret = c.random(32);
  const ad = utf8('room|7|recipient');

  test('round trip, across backends; each wrap is new', () => {
    const bob = party(c, 2);
    const wrapped = wrapSecret(c, bob.dh.publicKey, secret, ad);
    assert.equal(wrapped.length, WRAPPED_SECRET_BYTES);
    assert.equal(hex(unwrapSecret(c, bob.dh, wrapped, ad)), hex(secret));
    assert.equal(hex(unwrapSecret(noble, noble.dhKey(fill(4)), wrapped, ad)), hex(secret));
    assert.notEqual(hex(wrapSecret(c, bob.dh.publicKey, secret, ad)), hex(wrapped));
    assert.ok(!Buffer.from(wrapped).includes(Buffer.from(secret)));
  });

  test('the wrong recipient, a changed byte anywhere, other AD or a bad length: undefined, never a throw', () => {
    const [bob, mallory] = [party(c, 2), party(c, 9)];
    const wrapped = wrapSecret(c, bob.dh.publicKey, secret, ad);
    assert.equal(unwrapSecret(c, mallory.dh, wrapped, ad), undefined, 'wrong recipient');
    for (const at of [0, 31, 32, 43, 44, 75, 76, 91]) {
      const t = Uint8Array.from(wrapped);
      t[at] ^= 1;
      assert.equal(unwrapSecret(c, bob.dh, t, ad), undefined, `byte ${at}`);
    }
    assert.equal(unwrapSecret(c, bob.dh, wrapped, utf8('room|8|recipient')), undefined, 'AD moved');
    assert.equal(unwrapSecret(c, bob.dh, wrapped.subarray(1), ad), undefined, 'short');
    const lowOrder = Uint8Array.from(wrapped);
    lowOrder.fill(0, 0, 32);
    assert.equal(unwrapSecret(c, bob.dh, lowOrder, ad), undefined, 'low-order ephemeral key');
  });
});
