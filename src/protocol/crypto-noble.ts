// The @noble backend: audited pure-JS Ed25519/X25519 (@noble/curves), SHA-256 and HKDF (@noble/hashes),
// AES-256-GCM (@noble/ciphers). It is the fallback when node:crypto fails its self-test (some Electron
// builds), and the second opinion in the known-answer tests. @noble v2 ships ES modules only, so it is
// loaded with import() of noble.mts: esbuild bundles it into the extension and CLI, and Node 24 runs
// the compiled tests.
import { CryptoError, checkLength, isAllZero, KEY_BYTES, NONCE_BYTES, SIGNATURE_BYTES, TAG_BYTES, type Crypto } from './crypto-types';

let loaded: Promise<Crypto> | undefined;

export function createNobleCrypto(): Promise<Crypto> {
  loaded ??= load();
  return loaded;
}

async function load(): Promise<Crypto> {
  const { ed25519, x25519, sha256, hkdf, gcm, randomBytes } = await import('./noble.mjs');
  return {
    backend: '@noble',
    random: (length) => randomBytes(length),
    sha256(...parts) {
      const h = sha256.create();
      for (const p of parts) h.update(p);
      return h.digest();
    },
    hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
    signingKey(secret) {
      checkLength('An Ed25519 secret key', secret, KEY_BYTES);
      const seed = Uint8Array.from(secret);
      return { publicKey: ed25519.getPublicKey(seed), sign: (message) => ed25519.sign(message, seed) };
    },
    verifyKey(raw) {
      checkLength('An Ed25519 public key', raw, KEY_BYTES);
      const publicKey = Uint8Array.from(raw);
      return {
        publicKey,
        verify(message, signature) {
          if (signature.length !== SIGNATURE_BYTES) return false;
          try {
            // zip215: false is RFC 8032's strict rule, as OpenSSL and BoringSSL apply it, so that both
            // backends accept the same signatures (ZIP-215 would also take some non-canonical ones).
            return ed25519.verify(signature, message, publicKey, { zip215: false });
          } catch {
            return false;
          }
        },
      };
    },
    dhKey(secret) {
      checkLength('An X25519 secret key', secret, KEY_BYTES);
      const own = Uint8Array.from(secret);
      return {
        publicKey: x25519.getPublicKey(own),
        agree(peer) {
          checkLength('An X25519 public key', peer, KEY_BYTES);
          let shared: Uint8Array;
          try {
            shared = x25519.getSharedSecret(own, peer);
          } catch (err) {
            throw new CryptoError(`X25519 with this peer key fails (a low-order or invalid key): ${(err as Error).message}`);
          }
          if (isAllZero(shared)) throw new CryptoError('X25519 with this peer key gives all zeros (a low-order key)');
          return shared;
        },
      };
    },
    aes256gcm(key) {
      checkLength('An AES-256-GCM key', key, KEY_BYTES);
      const k = Uint8Array.from(key);
      return {
        seal(nonce, plaintext, ad) {
          checkLength('An AES-GCM nonce', nonce, NONCE_BYTES);
          return gcm(k, nonce, ad).encrypt(plaintext);
        },
        open(nonce, sealed, ad) {
          checkLength('An AES-GCM nonce', nonce, NONCE_BYTES);
          if (sealed.length < TAG_BYTES) return undefined;
          try {
            return gcm(k, nonce, ad).decrypt(sealed);
          } catch {
            return undefined; // the tag did not match
          }
        },
      };
    },
  };
}
