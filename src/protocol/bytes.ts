// Bounds-checked reading and writing of the envelope's fields. Every read checks that the bytes are
// there first and throws a ProtocolError naming the packet and the field, never a RangeError.
import { isUtf8 } from 'node:buffer';

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8: a stray or split character is an error, not a U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ProtocolError(`Cannot decode ${what} (not valid UTF-8)`);
  }
}

/** The same rule as decodeUtf8 without making a string: for bytes that are passed on as they are
 * (the relay forwards message text it never needs to read). */
export function checkUtf8(bytes: Uint8Array, what: string): void {
  if (!isUtf8(bytes)) throw new ProtocolError(`Cannot decode ${what} (not valid UTF-8)`);
}

/** Whether bytes[from..] hold a printable ASCII character: text that does is not blank, which
 * settles the common case of the "empty message" rule without decoding. */
export function hasVisibleAscii(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] > 0x20 && bytes[i] < 0x7f) return true;
  return false;
}

/** UTF-8 bytes of a string, counted natively without encoding it. */
export const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

export class Reader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
    start = 0,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  private need(n: number, field: string): void {
    if (this.pos + n > this.buf.length) {
      throw new ProtocolError(`Cannot decode ${this.what} (truncated in ${field})`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++];
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  f64(field: string): number {
    this.need(8, field);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A string with a u8 (or u16) byte length in front, at most `max` bytes. */
  str(field: string, max: number, wide = false): string {
    const n = wide ? this.u16(field) : this.u8(field);
    if (n > max) throw new ProtocolError(`Cannot decode ${this.what} (${field} is ${n} bytes, over ${max})`);
    return decodeUtf8(this.bytes(n, field), `${this.what} ${field}`);
  }

  rest(): Buffer {
    const v = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return v;
  }

  end(): void {
    if (this.pos !== this.buf.length) {
      throw new ProtocolError(`Cannot decode ${this.what} (${this.buf.length - this.pos} trailing bytes)`);
    }
  }
}

/** Collects fields into one Buffer. Sizes are known up front, so this writes into a single allocation. */
export class Writer {
  private readonly buf: Buffer;
  private pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  u8(v: number): this {
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.pos = this.buf.writeUInt16BE(v, this.pos);
    return this;
  }

  u32(v: number): this {
    this.pos = this.buf.writeUInt32BE(v >>> 0, this.pos);
    return this;
  }

  u64(v: bigint): this {
    this.pos = this.buf.writeBigUInt64BE(v, this.pos);
    return this;
  }

  f64(v: number): this {
    this.pos = this.buf.writeDoubleBE(v, this.pos);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Writes pre-encoded string bytes with their length prefix. */
  str(b: Buffer, wide = false): this {
    return (wide ? this.u16(b.length) : this.u8(b.length)).bytes(b);
  }

  /** Writes a string as UTF-8 with its length prefix, encoded once, straight into place: the
   * prefix is filled in after the bytes. The caller has sized the packet (and checked the string's
   * limit) with utf8Length. */
  text(s: string, wide = false): this {
    const at = this.pos;
    this.pos += wide ? 2 : 1;
    const n = this.buf.write(s, this.pos, 'utf8');
    if (wide) this.buf.writeUInt16BE(n, at);
    else this.buf[at] = n;
    this.pos += n;
    return this;
  }

  done(): Buffer {
    return this.pos === this.buf.length ? this.buf : this.buf.subarray(0, this.pos);
  }
}

/** `b` in an allocation of its own, for bytes kept long. A small Buffer from `Buffer.allocUnsafe`,
 * `Buffer.from` or `subarray` is a view into a shared pool (64 KiB since Node 24), and one kept view
 * keeps its whole pool alive: the relay's history of small datagrams, each encoded between other
 * allocations, pinned a pool apiece (the soak of issue 10 measured 532 of them, 33 MiB, for 4 MiB of
 * history). Returns `b` itself when it already owns its memory. */
export function ownBytes(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return b;
  const own = Buffer.allocUnsafeSlow(b.length);
  b.copy(own);
  return own;
}
