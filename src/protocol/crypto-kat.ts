// The self-test that a backend must pass before it is used: one published known answer per primitive,
// plus a forgery each must refuse. It runs once per process and takes about 9 ms with node:crypto on
// the benchmark machine (most of it first-use setup). The unit tests run these and more vectors
// through both backends.
import type { Bytes, Crypto } from './crypto-types';

const hex = (s: string): Bytes => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const same = (a: Bytes, b: Bytes) => a.length === b.length && a.every((x, i) => x === b[i]);

/** RFC 8032 section 7.1, TEST 3 (a 2-byte message). */
export const ED25519_TEST3 = {
  secret: hex('c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7'),
  publicKey: hex('fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025'),
  message: hex('af82'),
  signature: hex('6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'),
};

/** RFC 7748 section 6.1: Alice and Bob. */
export const X25519_DH = {
  aliceSecret: hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'),
  alicePublic: hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'),
  bobSecret: hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'),
  bobPublic: hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'),
  shared: hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'),
};

/** RFC 5869 appendix A.1 (basic test case with SHA-256). */
export const HKDF_A1 = {
  ikm: hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'),
  salt: hex('000102030405060708090a0b0c'),
  info: hex('f0f1f2f3f4f5f6f7f8f9'),
  okm: hex('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865'),
};

/** McGrew and Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, with AAD). */
export const GCM_TEST16 = {
  key: hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'),
  nonce: hex('cafebabefacedbaddecaf888'),
  plaintext: hex(
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
  ),
  ad: hex('feedfacedeadbeeffeedfacedeadbeefabaddad2'),
  ciphertext: hex(
    '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
  ),
  tag: hex('76fc6ece0f4e1768cddf8853bb2d551b'),
};

/** FIPS 180-2 appendix B.1: SHA-256("abc"). */
export const SHA256_ABC = hex('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');

/** What is wrong with `c`, as a phrase ("gives a wrong HKDF-SHA256 answer"), or undefined if all is right. */
export function selfTest(c: Crypto): string | undefined {
  const checks: Array<[string, () => boolean]> = [
    ['SHA-256', () => same(c.sha256(new TextEncoder().encode('a'), new TextEncoder().encode('bc')), SHA256_ABC)],
    ['HKDF-SHA256', () => same(c.hkdfSha256(HKDF_A1.ikm, HKDF_A1.salt, HKDF_A1.info, HKDF_A1.okm.length), HKDF_A1.okm)],
    [
      'Ed25519',
      () => {
        const t = ED25519_TEST3;
        const key = c.signingKey(t.secret);
        const v = c.verifyKey(t.publicKey);
        const forged = Uint8Array.from(t.signature);
        forged[5] ^= 1;
        return same(key.publicKey, t.publicKey) && same(key.sign(t.message), t.signature) && v.verify(t.message, t.signature) && !v.verify(t.message, forged);
      },
    ],
    [
      'X25519',
      () => {
        const t = X25519_DH;
        const alice = c.dhKey(t.aliceSecret);
        return same(alice.publicKey, t.alicePublic) && same(alice.agree(t.bobPublic), t.shared) && same(c.dhKey(t.bobSecret).agree(t.alicePublic), t.shared);
      },
    ],
    [
      'AES-256-GCM',
      () => {
        const t = GCM_TEST16;
        const aead = c.aes256gcm(t.key);
        const sealed = aead.seal(t.nonce, t.plaintext, t.ad);
        const opened = aead.open(t.nonce, sealed, t.ad);
        const forged = Uint8Array.from(sealed);
        forged[0] ^= 1;
        return same(sealed, new Uint8Array([...t.ciphertext, ...t.tag])) && !!opened && same(opened, t.plaintext) && aead.open(t.nonce, forged, t.ad) === undefined;
      },
    ],
  ];
  for (const [name, check] of checks) {
    try {
      if (!check()) return `gives a wrong ${name} answer`;
    } catch (err) {
      return `cannot do ${name} (${(err as Error).message})`;
    }
  }
  return undefined;
}
