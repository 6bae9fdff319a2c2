// The @noble functions the fallback backend uses, imported statically so that esbuild keeps only
// these (through a dynamic import it keeps whole modules: 105 KB minified instead of 50 KB). An .mts
// file because @noble v2 is ESM only and the rest of src/ compiles to CommonJS; crypto-noble.ts
// loads it with import().
export { ed25519, x25519 } from '@noble/curves/ed25519.js';
export { sha256 } from '@noble/hashes/sha2.js';
export { hkdf } from '@noble/hashes/hkdf.js';
export { randomBytes } from '@noble/hashes/utils.js';
export { gcm } from '@noble/ciphers/aes.js';
