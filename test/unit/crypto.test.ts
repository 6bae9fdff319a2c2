// Known answers from the RFCs and the GCM paper through BOTH backends, so that a difference in
// Electron's BoringSSL (or a wrong wrapping of raw keys) cannot hide behind agreement with itself;
// then cross-checks between the backends on random inputs, and the choice of backend.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { choose, CryptoError, loadNobleCrypto, nodeCrypto, selectCrypto, type Crypto } from '../../src/protocol/crypto';
import { ED25519_TEST3, GCM_TEST16, HKDF_A1, selfTest, SHA256_ABC, X25519_DH } from '../../src/protocol/crypto-kat';
import { seededRandom } from './helpers/random';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);

const ED25519 = [
  // RFC 8032 section 7.1, TEST 1, 2 and 3
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  { secret: toHex(ED25519_TEST3.secret), publicKey: toHex(ED25519_TEST3.publicKey), message: toHex(ED25519_TEST3.message), signature: toHex(ED25519_TEST3.signature) },
];

const GCM = [
  // McGrew-Viega test cases 13-16 (the AES-256 ones)
  { key: '00'.repeat(32), nonce: '00'.repeat(12), plaintext: '', ad: '', ciphertext: '', tag: '530f8afbc74536b9a963b4f1c4cb738b' },
  { key: '00'.repeat(32), nonce: '00'.repeat(12), plaintext: '00'.repeat(16), ad: '', ciphertext: 'cea7403d4d606b6e074ec5d3baf39d18', tag: 'd0d1c8a799996bf0265b98b5d48ab919' },
  {
    key: toHex(GCM_TEST16.key),
    nonce: toHex(GCM_TEST16.nonce),
    plaintext: 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255',
    ad: '',
    ciphertext: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad',
    tag: 'b094dac5d93471bdec1a502270e3cc6c',
  },
  { key: toHex(GCM_TEST16.key), nonce: toHex(GCM_TEST16.nonce), plaintext: toHex(GCM_TEST16.plaintext), ad: toHex(GCM_TEST16.ad), ciphertext: toHex(GCM_TEST16.ciphertext), tag: toHex(GCM_TEST16.tag) },
];

let noble: Crypto;
before(async () => {
  noble = await loadNobleCrypto();
});

for (const name of ['node:crypto', '@noble'] as const) {
  const c = () => (name === 'node:crypto' ? nodeCrypto : noble);

  describe(`${name}: known answers`, () => {
    test('passes its own self-test', () => assert.equal(selfTest(c()), undefined));

    test('Ed25519: RFC 8032 tests 1-3 give the published keys and signatures, and verify', () => {
      for (const t of ED25519) {
        const key = c().signingKey(hex(t.secret));
        assert.equal(toHex(key.publicKey), t.publicKey);
        assert.equal(toHex(key.sign(hex(t.message))), t.signature);
        assert.ok(c().verifyKey(hex(t.publicKey)).verify(hex(t.message), hex(t.signature)));
      }
    });

    test('Ed25519: a changed message, signature or key does not verify, and nothing throws', () => {
      const t = ED25519[1];
      const v = c().verifyKey(hex(t.publicKey));
      const sig = hex(t.signature);
      assert.equal(v.verify(hex('73'), sig), false);
      for (const i of [0, 31, 32, 63]) {
        const bad = Uint8Array.from(sig);
        bad[i] ^= 0x10;
        assert.equal(v.verify(hex(t.message), bad), false, `byte ${i} flipped`);
      }
      assert.equal(v.verify(hex(t.message), sig.subarray(0, 63)), false, 'short signature');
      assert.equal(c().verifyKey(hex(ED25519[0].publicKey)).verify(hex(t.message), sig), false, 'other key');
      // S + L (non-canonical S) must be refused by both backends alike (RFC 8032 5.1.7)
      const L = hex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');
      const nonCanonical = Uint8Array.from(sig);
      let carry = 0;
      for (let i = 0; i < 32; i++) {
        const s = nonCanonical[32 + i] + L[i] + carry;
        nonCanonical[32 + i] = s & 0xff;
        carry = s >> 8;
      }
      assert.equal(v.verify(hex(t.message), nonCanonical), false, 'S + L');
      assert.equal(c().verifyKey(new Uint8Array(32).fill(0xff)).verify(hex(t.message), sig), false, 'not a curve point');
    });

    test('X25519: RFC 7748 section 5.2 and the Alice/Bob exchange of section 6.1', () => {
      const out = c().dhKey(hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4')).agree(hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'));
      assert.equal(toHex(out), 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
      const alice = c().dhKey(X25519_DH.aliceSecret);
      const bob = c().dhKey(X25519_DH.bobSecret);
      assert.deepEqual([...alice.publicKey], [...X25519_DH.alicePublic]);
      assert.deepEqual([...bob.publicKey], [...X25519_DH.bobPublic]);
      assert.equal(toHex(alice.agree(bob.publicKey)), toHex(X25519_DH.shared));
      assert.equal(toHex(bob.agree(alice.publicKey)), toHex(X25519_DH.shared));
    });

    test('X25519: a low-order peer key is refused with a CryptoError, not an all-zero secret', () => {
      const alice = c().dhKey(X25519_DH.aliceSecret);
      for (const low of ['00'.repeat(32), '01' + '00'.repeat(31), 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800']) {
        assert.throws(() => alice.agree(hex(low)), CryptoError, low);
      }
    });

    test('HKDF-SHA256: RFC 5869 test cases 1 and 3', () => {
      assert.equal(toHex(c().hkdfSha256(HKDF_A1.ikm, HKDF_A1.salt, HKDF_A1.info, 42)), toHex(HKDF_A1.okm));
      const okm3 = c().hkdfSha256(HKDF_A1.ikm, new Uint8Array(0), new Uint8Array(0), 42);
      assert.equal(toHex(okm3), '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
    });

    test('SHA-256: FIPS 180-2 "abc", whole or in parts', () => {
      assert.equal(toHex(c().sha256(utf8('abc'))), toHex(SHA256_ABC));
      assert.equal(toHex(c().sha256(utf8('a'), utf8(''), utf8('bc'))), toHex(SHA256_ABC));
    });

    test('AES-256-GCM: McGrew-Viega test cases 13-16 seal and open', () => {
      for (const t of GCM) {
        const aead = c().aes256gcm(hex(t.key));
        const sealed = aead.seal(hex(t.nonce), hex(t.plaintext), hex(t.ad));
        assert.equal(toHex(sealed), t.ciphertext + t.tag);
        assert.equal(toHex(aead.open(hex(t.nonce), sealed, hex(t.ad))!), t.plaintext);
      }
    });

    test('AES-256-GCM: a changed byte, AD, nonce or key opens to nothing', () => {
      const t = GCM[3];
      const aead = c().aes256gcm(hex(t.key));
      const sealed = hex(t.ciphertext + t.tag);
      for (const i of [0, 30, sealed.length - 16, sealed.length - 1]) {
        const bad = Uint8Array.from(sealed);
        bad[i] ^= 1;
        assert.equal(aead.open(hex(t.nonce), bad, hex(t.ad)), undefined, `byte ${i}`);
      }
      assert.equal(aead.open(hex(t.nonce), sealed, hex(t.ad).subarray(1)), undefined, 'AD');
      assert.equal(aead.open(hex('cafebabefacedbaddecaf889'), sealed, hex(t.ad)), undefined, 'nonce');
      assert.equal(c().aes256gcm(new Uint8Array(32)).open(hex(t.nonce), sealed, hex(t.ad)), undefined, 'key');
      assert.equal(aead.open(hex(t.nonce), sealed.subarray(0, 15), hex(t.ad)), undefined, 'shorter than a tag');
    });

    test('wrong key and nonce lengths are CryptoErrors that say what is wrong', () => {
      assert.throws(() => c().signingKey(new Uint8Array(31)), /Ed25519 secret key must be 32 bytes, not 31/);
      assert.throws(() => c().verifyKey(new Uint8Array(33)), CryptoError);
      assert.throws(() => c().dhKey(new Uint8Array(0)), CryptoError);
      assert.throws(() => c().aes256gcm(new Uint8Array(16)), /AES-256-GCM key must be 32 bytes/);
      assert.throws(() => c().aes256gcm(new Uint8Array(32)).seal(new Uint8Array(8), new Uint8Array(1), new Uint8Array(0)), /nonce must be 12 bytes/);
    });
  });
}

describe('node:crypto and @noble agree', () => {
  const rnd = seededRandom(8);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));

  test('on 64 random Ed25519 keys and messages: same keys, same signatures, each verifies the other', () => {
    for (let i = 0; i < 64; i++) {
      const secret = bytes(32);
      const message = bytes(Math.floor(rnd() * 300));
      const a = nodeCrypto.signingKey(secret);
      const b = noble.signingKey(secret);
      assert.deepEqual([...a.publicKey], [...b.publicKey]);
      const sig = a.sign(message);
      assert.deepEqual([...sig], [...b.sign(message)]);
      assert.ok(noble.verifyKey(a.publicKey).verify(message, sig));
      assert.ok(nodeCrypto.verifyKey(b.publicKey).verify(message, b.sign(message)));
    }
  });

  test('on 64 random X25519 pairs, HKDF inputs and AES-GCM messages', () => {
    for (let i = 0; i < 64; i++) {
      const [s1, s2] = [bytes(32), bytes(32)];
      const shared = nodeCrypto.dhKey(s1).agree(noble.dhKey(s2).publicKey);
      assert.deepEqual([...shared], [...noble.dhKey(s2).agree(nodeCrypto.dhKey(s1).publicKey)]);
      const [salt, info, len] = [bytes(Math.floor(rnd() * 40)), bytes(Math.floor(rnd() * 40)), 1 + Math.floor(rnd() * 100)];
      assert.deepEqual([...nodeCrypto.hkdfSha256(shared, salt, info, len)], [...noble.hkdfSha256(shared, salt, info, len)]);
      const [key, nonce, ad, pt] = [bytes(32), bytes(12), bytes(Math.floor(rnd() * 30)), bytes(Math.floor(rnd() * 1500))];
      const sealed = nodeCrypto.aes256gcm(key).seal(nonce, pt, ad);
      assert.deepEqual([...sealed], [...noble.aes256gcm(key).seal(nonce, pt, ad)]);
      assert.deepEqual([...noble.aes256gcm(key).open(nonce, sealed, ad)!], [...pt]);
      assert.deepEqual([...nodeCrypto.sha256(pt, ad)], [...noble.sha256(pt, ad)]);
    }
  });
});

describe('choosing a backend', () => {
  test('this Node passes the self-test, so node:crypto is chosen without a reason', async () => {
    const choice = await selectCrypto();
    assert.equal(choice.crypto.backend, 'node:crypto');
    assert.equal(choice.fallbackReason, undefined);
    assert.equal(await selectCrypto(), choice, 'chosen once per process');
  });

  test('a node:crypto whose HKDF answers wrong (as in some Electron builds) gives way to @noble, with the reason', async () => {
    const broken: Crypto = { ...nodeCrypto, hkdfSha256: (ikm, salt, info, length) => nodeCrypto.hkdfSha256(ikm, new Uint8Array(0), info, length) };
    const choice = await choose(broken, loadNobleCrypto);
    assert.equal(choice.crypto.backend, '@noble');
    assert.equal(choice.fallbackReason, 'node:crypto gives a wrong HKDF-SHA256 answer; using @noble instead.');
  });

  test('a node:crypto that cannot do X25519 at all gives way to @noble, naming the error', async () => {
    const missing: Crypto = { ...nodeCrypto, dhKey: () => { throw new Error('Unsupported key type'); } };
    const choice = await choose(missing, loadNobleCrypto);
    assert.equal(choice.crypto.backend, '@noble');
    assert.match(choice.fallbackReason!, /^node:crypto cannot do X25519 \(Unsupported key type\)/);
  });

  test('when both backends fail, the error names both problems', async () => {
    const broken: Crypto = { ...nodeCrypto, sha256: () => new Uint8Array(32) };
    await assert.rejects(choose(broken, () => Promise.resolve(broken)), /No working crypto: node:crypto gives a wrong SHA-256 answer, and node:crypto gives a wrong SHA-256 answer/);
  });
});
