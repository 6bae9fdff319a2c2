// Protocol version 2 on the wire: the v1 packets of packets.ts, carried inside an authenticated
// session (docs/SECURITY.md, "The handshake" and "Datagrams in a session"). Pure functions over bytes.
//
//   Hello    MAGIC 2 Hello  | v1 Hello body | with a cookie: relay address (str8) | ClientAuth (136) | extensions (hello-extensions.ts)
//   Retry    MAGIC 2 Retry  | v1 Retry body                   (in clear: a cookie proves nothing)
//   NotJoined MAGIC 2 NotJoined | v1 body                     (in clear: the relay may not know the session)
//   Welcome  MAGIC 2 Welcome | session id | RelayAuth (128) | packet number | AES-GCM(v1 Welcome or Refused) | tag
//   Sealed   MAGIC 2 Sealed  | session id | packet number | AES-GCM(any other v1 packet) | tag
//
// Inside, a packet is its whole v1 encoding (envelope included), so the v1 codec decodes it as it is
// and the relay's history keeps one encoding per fragment, sealed per recipient on the way out.
import { ProtocolError, Reader, Writer } from './bytes';
import { decode, encode } from './codec';
import { decodeExtensions, encodeExtensions, type HelloExtensions } from './hello-extensions';
import { CLIENT_AUTH_BYTES, decodeClientAuth, decodeRelayAuth, encodeClientAuth, encodeRelayAuth, RELAY_AUTH_BYTES, SESSION_ID_BYTES, type ClientAuth, type RelayAuth } from './handshake';
import { CLIENT_ID_BYTES, MAGIC, MAX_DATAGRAM, PacketType, type Hello, type NotJoined, type Packet, type Retry } from './packets';
import { SEAL_OVERHEAD } from './session-cipher';

export const VERSION_2 = 2;
/** The type byte of a sealed datagram: outside v1's PacketType range, so neither is taken for the other. */
export const SEALED = 0x40;
/** The type byte of a sealed datagram carrying a file chunk (issue 14): sealed like SEALED, in the same
 * packet numbers and replay window, and its type byte in the AD too; it lets the relay charge file
 * traffic to its own rate before opening it, and serve it after the chat. Only FileChunk travels in one. */
export const BULK = 0x41;
/** MAGIC, version, type, session id: the clear part every sealed datagram starts with. */
export const SEALED_PREFIX_BYTES = 3 + SESSION_ID_BYTES;
export const WELCOME_PREFIX_BYTES = SEALED_PREFIX_BYTES + RELAY_AUTH_BYTES;
/** What sealing adds to a v1 packet: prefix, packet number, tag (35 bytes). */
export const SEALED_OVERHEAD = SEALED_PREFIX_BYTES + SEAL_OVERHEAD;
/** Relay addresses as the client wrote them (HOST:PORT) are at most this long in a Hello. */
export const MAX_RELAY_ADDRESS_BYTES = 255;

export { HelloExtension, type HelloExtensions } from './hello-extensions';

/** A Hello's handshake part: what a Hello with a cookie carries besides the v1 body, and its
 * extensions (hello-extensions.ts: join proof, room, create, dm, device DH key). */
export interface HelloAuth extends HelloExtensions {
  relayAddress: string;
  client: ClientAuth;
}

/** What a datagram is, from its first bytes and its size alone (no keys needed). */
export type Framed =
  | { kind: 'v1' }
  | { kind: 'hello'; hello: Hello; auth?: HelloAuth }
  | { kind: 'clear'; packet: Retry | NotJoined }
  | { kind: 'welcome'; sessionId: Buffer; relay: RelayAuth }
  | { kind: 'sealed'; sessionId: Buffer; bulk: boolean };

/** A v2 Hello. Without a cookie it asks for one (no auth); with one it carries the handshake. */
export function encodeHello(h: Hello, auth?: HelloAuth): Buffer {
  if (h.clientId.length !== CLIENT_ID_BYTES) throw new ProtocolError('Cannot encode Hello (a session id is 8 bytes)');
  const v1 = encode(h);
  if (!auth) return withVersion(v1);
  const address = Buffer.from(auth.relayAddress, 'utf8');
  if (address.length > MAX_RELAY_ADDRESS_BYTES) throw new ProtocolError(`Cannot encode Hello (relay address over ${MAX_RELAY_ADDRESS_BYTES} bytes)`);
  const ext = encodeExtensions(auth);
  const out = new Writer(v1.length + 1 + address.length + CLIENT_AUTH_BYTES + ext.length).bytes(v1).str(address).bytes(encodeClientAuth(auth.client)).bytes(ext).done();
  if (out.length > MAX_DATAGRAM) throw new ProtocolError(`Cannot encode Hello (${out.length} bytes, over ${MAX_DATAGRAM})`);
  out[1] = VERSION_2;
  return out;
}

/** A Retry or NotJoined, in clear. */
export function encodeClear(p: Retry | NotJoined): Buffer {
  return withVersion(encode(p));
}

export const sealedPrefix = (sessionId: Uint8Array): Buffer => prefix(SEALED, sessionId);
export const bulkPrefix = (sessionId: Uint8Array): Buffer => prefix(BULK, sessionId);

/** Whether a datagram says it is a BULK one (believed only once it opens). */
export const isBulk = (buf: Uint8Array): boolean => buf.length >= 3 && buf[0] === MAGIC && buf[1] === VERSION_2 && buf[2] === BULK;

export function welcomePrefix(sessionId: Uint8Array, relay: RelayAuth): Buffer {
  return Buffer.concat([prefix(PacketType.Welcome, sessionId), encodeRelayAuth(relay)]);
}

/** Whether a datagram is a v2 one (it starts with MAGIC and version 2). */
export const isV2 = (buf: Uint8Array): boolean => buf.length >= 3 && buf[0] === MAGIC && buf[1] === VERSION_2;

/**
 * What a datagram says it is. Throws ProtocolError for a v2 datagram that cannot be one. A sealed or
 * welcome datagram is only framed here: it is believed once it opens under the session's key.
 */
export function frame(buf: Buffer): Framed {
  if (buf.length < 3 || buf[0] !== MAGIC) throw new ProtocolError('Cannot decode packet (not a WhatsUDP datagram)');
  if (buf[1] === 1) return { kind: 'v1' };
  if (buf[1] !== VERSION_2) throw new ProtocolError(`Cannot decode packet (unsupported version ${buf[1]})`);
  if (buf.length > MAX_DATAGRAM) throw new ProtocolError(`Cannot decode packet (${buf.length} bytes, over ${MAX_DATAGRAM})`);
  const sealed = buf[2] === SEALED || buf[2] === BULK;
  const type = buf[2] as PacketType;
  if (sealed || type === PacketType.Welcome) {
    const minimum = (sealed ? SEALED_PREFIX_BYTES : WELCOME_PREFIX_BYTES) + SEAL_OVERHEAD;
    if (buf.length < minimum) throw new ProtocolError(`Cannot decode ${sealed ? 'sealed datagram' : 'Welcome'} (truncated)`);
    const sessionId = buf.subarray(3, SEALED_PREFIX_BYTES);
    if (sealed) return { kind: 'sealed', sessionId, bulk: buf[2] === BULK };
    return { kind: 'welcome', sessionId, relay: decodeRelayAuth(buf.subarray(SEALED_PREFIX_BYTES, WELCOME_PREFIX_BYTES)) };
  }
  if (type === PacketType.Retry || type === PacketType.NotJoined) {
    const p = decode(asV1(buf));
    return { kind: 'clear', packet: p as Retry | NotJoined };
  }
  if (type === PacketType.Hello) return decodeHello(buf);
  throw new ProtocolError(`Cannot decode packet (type ${type} is not sent in clear in protocol 2)`);
}

function decodeHello(buf: Buffer): Framed {
  // The v1 body has its own lengths: read it to find where the auth block starts.
  const r = new Reader(buf, 'Hello', 3);
  r.bytes(CLIENT_ID_BYTES, 'clientId');
  r.str('name', 255);
  r.bytes(1 + 8 + 4 + 4, 'fields');
  const cookieLength = r.u8('cookie');
  r.bytes(cookieLength, 'cookie');
  const v1End = r.offset;
  const hello = decode(asV1(buf.subarray(0, v1End))) as Hello;
  if (v1End === buf.length) {
    if (hello.cookie.length > 0) throw new ProtocolError('Cannot decode Hello (a cookie without the handshake)');
    return { kind: 'hello', hello };
  }
  const relayAddress = r.str('relay address', MAX_RELAY_ADDRESS_BYTES);
  const client = decodeClientAuth(r.bytes(CLIENT_AUTH_BYTES, 'handshake'));
  if (hello.cookie.length === 0) throw new ProtocolError('Cannot decode Hello (the handshake without a cookie)');
  if (!hello.clientId.equals(client.sessionId)) throw new ProtocolError('Cannot decode Hello (its clientId is not its session id)');
  const auth: HelloAuth = { relayAddress, client };
  decodeExtensions(r, buf.length, auth);
  return { kind: 'hello', hello, auth };
}

/** The v1 packet inside an opened sealed datagram. Only what travels sealed is accepted, and a
 * FileChunk only in a BULK datagram, which carries nothing else. */
export function decodeInner(payload: Uint8Array, bulk = false): Packet {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  const p = decode(buf);
  if (p.type === PacketType.Hello || p.type === PacketType.Retry) throw new ProtocolError(`Unexpected ${PacketType[p.type]} inside a sealed datagram`);
  if ((p.type === PacketType.FileChunk) !== bulk) throw new ProtocolError(bulk ? `Unexpected ${PacketType[p.type]} inside a BULK datagram` : 'Unexpected FileChunk outside a BULK datagram');
  return p;
}

function prefix(type: number, sessionId: Uint8Array): Buffer {
  if (sessionId.length !== SESSION_ID_BYTES) throw new ProtocolError('A session id is 8 bytes');
  const out = Buffer.allocUnsafe(SEALED_PREFIX_BYTES);
  out[0] = MAGIC;
  out[1] = VERSION_2;
  out[2] = type;
  out.set(sessionId, 3);
  return out;
}

function withVersion(v1: Buffer): Buffer {
  v1[1] = VERSION_2;
  return v1;
}

/** A copy of a v2 clear datagram with version 1 in its envelope, for the v1 codec. */
function asV1(buf: Buffer): Buffer {
  const copy = Buffer.from(buf);
  copy[1] = 1;
  return copy;
}
