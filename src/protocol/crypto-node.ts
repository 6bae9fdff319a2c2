// The node:crypto backend: OpenSSL in Node, BoringSSL in Electron. Both take Ed25519 and X25519 keys
// only as KeyObjects, so raw 32-byte keys go in and out through their fixed DER wrappings (PKCS#8 for
// secrets, SPKI for public keys, RFC 8410), which every version of both understands; JWK import of
// OKP keys is newer and less uniform. Each KeyObject is made once per key, not once per message.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { CryptoError, checkLength, isAllZero, KEY_BYTES, NONCE_BYTES, SIGNATURE_BYTES, TAG_BYTES, type Aead, type Bytes, type Crypto } from './crypto-types';

// RFC 8410 section 10: the DER before the 32 key bytes (OIDs 1.3.101.112 Ed25519, 1.3.101.110 X25519).
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');

const der = (prefix: Buffer, key: Bytes) => Buffer.concat([prefix, key]);
const secretKey = (prefix: Buffer, key: Bytes): KeyObject => createPrivateKey({ key: der(prefix, key), format: 'der', type: 'pkcs8' });
const publicKey = (prefix: Buffer, key: Bytes): KeyObject => createPublicKey({ key: der(prefix, key), format: 'der', type: 'spki' });

/** The raw 32 bytes of a public KeyObject (the SPKI's tail, after the fixed prefix). */
function rawPublic(key: KeyObject, prefix: Buffer): Bytes {
  const spki = key.export({ format: 'der', type: 'spki' });
  if (spki.length !== prefix.length + KEY_BYTES || !spki.subarray(0, prefix.length).equals(prefix)) {
    throw new CryptoError('node:crypto exported an unexpected public key encoding');
  }
  return spki.subarray(prefix.length);
}

function aes256gcm(key: Bytes): Aead {
  checkLength('An AES-256-GCM key', key, KEY_BYTES);
  const k = createSecretKey(key);
  return {
    seal(nonce, plaintext, ad) {
      checkLength('An AES-GCM nonce', nonce, NONCE_BYTES);
      const c = createCipheriv('aes-256-gcm', k, nonce, { authTagLength: TAG_BYTES });
      c.setAAD(ad);
      const head = c.update(plaintext);
      const tail = c.final();
      return Buffer.concat([head, tail, c.getAuthTag()]);
    },
    open(nonce, sealed, ad) {
      checkLength('An AES-GCM nonce', nonce, NONCE_BYTES);
      if (sealed.length < TAG_BYTES) return undefined;
      const d = createDecipheriv('aes-256-gcm', k, nonce, { authTagLength: TAG_BYTES });
      d.setAAD(ad);
      d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const head = d.update(sealed.subarray(0, sealed.length - TAG_BYTES));
      try {
        return tailed(head, d.final());
      } catch {
        return undefined; // "Unsupported state or unable to authenticate data": the tag did not match
      }
    },
  };
}

const tailed = (head: Buffer, tail: Buffer): Buffer => (tail.length === 0 ? head : Buffer.concat([head, tail]));

export function createNodeCrypto(): Crypto {
  return {
    backend: 'node:crypto',
    random: (length) => randomBytes(length),
    sha256(...parts) {
      const h = createHash('sha256');
      for (const p of parts) h.update(p);
      return h.digest();
    },
    hkdfSha256(ikm, salt, info, length) {
      return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
    },
    signingKey(secret) {
      checkLength('An Ed25519 secret key', secret, KEY_BYTES);
      const key = secretKey(ED25519_PKCS8, secret);
      return { publicKey: rawPublic(createPublicKey(key), ED25519_SPKI), sign: (message) => sign(null, message, key) };
    },
    verifyKey(raw) {
      checkLength('An Ed25519 public key', raw, KEY_BYTES);
      let key: KeyObject | undefined;
      try {
        key = publicKey(ED25519_SPKI, raw);
      } catch {
        key = undefined; // not a point on the curve: every signature is wrong
      }
      const copy = Uint8Array.from(raw);
      return {
        publicKey: copy,
        verify(message, signature) {
          if (!key || signature.length !== SIGNATURE_BYTES) return false;
          try {
            return verify(null, message, key, signature);
          } catch {
            return false;
          }
        },
      };
    },
    dhKey(secret) {
      checkLength('An X25519 secret key', secret, KEY_BYTES);
      const key = secretKey(X25519_PKCS8, secret);
      return {
        publicKey: rawPublic(createPublicKey(key), X25519_SPKI),
        agree(peer) {
          checkLength('An X25519 public key', peer, KEY_BYTES);
          let shared: Buffer;
          try {
            shared = diffieHellman({ privateKey: key, publicKey: publicKey(X25519_SPKI, peer) });
          } catch (err) {
            // OpenSSL refuses an all-zero result itself; say it the same way as @noble does.
            throw new CryptoError(`X25519 with this peer key fails (a low-order or invalid key): ${(err as Error).message}`);
          }
          if (isAllZero(shared)) throw new CryptoError('X25519 with this peer key gives all zeros (a low-order key)');
          return shared;
        },
      };
    },
    aes256gcm,
  };
}
