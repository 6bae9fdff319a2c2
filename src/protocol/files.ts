// A file's chunks as they travel and are stored (issue 14, docs/PROTOCOL.md "Files"): each 1 KiB of
// plaintext sealed with AES-256-GCM under the file's own random key, the index as the nonce (a key
// seals one file only, so a nonce never repeats under it), and the file id, the index and the chunk
// count as associated data, so a chunk moved to another index or file, or cut off, does not open.
import { CryptoError, KEY_BYTES, TAG_BYTES, checkLength, type Aead, type Crypto } from './crypto';
import { MAX_FILE_BYTES } from '../common/message';
import { FILE_ID_BYTES } from './packets';

/** Plaintext bytes in each chunk but the last. */
export const FILE_CHUNK_BYTES = 1024;
/** A stored (sealed) chunk: every one but the last is exactly this long, so chunk i sits at i * FILE_SLOT_BYTES. */
export const FILE_SLOT_BYTES = FILE_CHUNK_BYTES + TAG_BYTES;
/** Largest file, in plaintext bytes (16 MiB): written once, in src/common/message.ts. */
export { MAX_FILE_BYTES };
export const MAX_FILE_CHUNKS = MAX_FILE_BYTES / FILE_CHUNK_BYTES;
export const MIN_STORED_CHUNK_BYTES = TAG_BYTES;
export const MAX_STORED_CHUNK_BYTES = FILE_SLOT_BYTES;

const LABEL = new TextEncoder().encode('whatsudp file chunk v1\0');

/** How many chunks a file of `size` plaintext bytes has (an empty file has one, of no bytes). */
export function chunkCount(size: number): number {
  if (!Number.isInteger(size) || size < 0 || size > MAX_FILE_BYTES) throw new CryptoError(`A file is 0 to ${MAX_FILE_BYTES} bytes, not ${size}`);
  return Math.max(1, Math.ceil(size / FILE_CHUNK_BYTES));
}

/** The stored size of chunk `index` of a file of `size` bytes. */
export function storedChunkBytes(size: number, index: number): number {
  const chunks = chunkCount(size);
  return (index < chunks - 1 ? FILE_CHUNK_BYTES : size - (chunks - 1) * FILE_CHUNK_BYTES) + TAG_BYTES;
}

/** Seals and opens the chunks of one file. */
export class FileCipher {
  private readonly aead: Aead;
  readonly chunks: number;

  constructor(
    crypto: Crypto,
    key: Uint8Array,
    readonly fileId: Uint8Array,
    readonly size: number,
  ) {
    checkLength('A file key', key, KEY_BYTES);
    checkLength('A file id', fileId, FILE_ID_BYTES);
    this.chunks = chunkCount(size);
    this.aead = crypto.aes256gcm(key);
  }

  /** Chunk `index` of the plaintext, sealed. */
  seal(plaintext: Uint8Array, index: number): Uint8Array {
    const start = index * FILE_CHUNK_BYTES;
    if (!Number.isInteger(index) || index < 0 || index >= this.chunks) throw new CryptoError(`No chunk ${index} in ${this.chunks}`);
    return this.aead.seal(nonce(index), plaintext.subarray(start, Math.min(this.size, start + FILE_CHUNK_BYTES)), this.ad(index));
  }

  /** The plaintext of stored chunk `index`, or undefined when it does not open (altered, moved, another
   * file's) or is not the length this file's chunk `index` has. */
  open(sealed: Uint8Array, index: number): Uint8Array | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.chunks || sealed.length !== storedChunkBytes(this.size, index)) return undefined;
    return this.aead.open(nonce(index), sealed, this.ad(index));
  }

  private ad(index: number): Uint8Array {
    const ad = new Uint8Array(LABEL.length + FILE_ID_BYTES + 8);
    ad.set(LABEL);
    ad.set(this.fileId, LABEL.length);
    const view = new DataView(ad.buffer);
    view.setUint32(LABEL.length + FILE_ID_BYTES, index);
    view.setUint32(LABEL.length + FILE_ID_BYTES + 4, this.chunks);
    return ad;
  }
}

function nonce(index: number): Uint8Array {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setBigUint64(4, BigInt(index));
  return n;
}
