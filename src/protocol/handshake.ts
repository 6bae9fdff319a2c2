// The authenticated-session handshake of protocol v2, as pure functions over bytes (no sockets, no
// clocks). It runs after the address check: the client already holds the relay's cookie.
//
//   client -> relay  ClientAuth: device key D, session id, ephemeral X25519 E_c, Sig_D(T1)
//                    T1 = "whatsudp v2 hello" | relay address | cookie | session id | D | E_c
//   relay -> client  RelayAuth: relay key R, ephemeral X25519 E_r, Sig_R(T2)
//                    T2 = "whatsudp v2 welcome" | SHA-256(T1 | Sig_D) | R | E_r
//   both             th = SHA-256(T2 | Sig_R);  HKDF-SHA256(X25519(E_c, E_r), salt = th) -> two directional keys
//
// This is the SIGMA pattern (sign the transcript, derive from an ephemeral-ephemeral DH), as in TLS 1.3
// with signatures: each side proves its long-term key over everything said so far, the keys have
// forward secrecy, and the client's signature covers the cookie, so it cannot be replayed from
// another address or after the cookie expires. The relay is confirmed to the client by its signature;
// the client is confirmed to the relay by its first datagram that opens under the new key.
import { ProtocolError, Reader } from './bytes';
import { checkLength, KEY_BYTES, NONCE_BYTES, SIGNATURE_BYTES, type Bytes, type Crypto, type SigningKey } from './crypto';

export const SESSION_ID_BYTES = 8;
export const CLIENT_AUTH_BYTES = KEY_BYTES + SESSION_ID_BYTES + KEY_BYTES + SIGNATURE_BYTES; // 136
export const RELAY_AUTH_BYTES = KEY_BYTES + KEY_BYTES + SIGNATURE_BYTES; // 128

const HELLO_LABEL = 'whatsudp v2 hello';
const WELCOME_LABEL = 'whatsudp v2 welcome';
const KEYS_LABEL = 'whatsudp v2 session keys';

/** What the client sends in its v2 Hello, after the cookie. */
export interface ClientAuth {
  devicePublicKey: Bytes;
  sessionId: Bytes;
  ephemeralPublicKey: Bytes;
  signature: Bytes;
}

/** What the relay answers in its v2 Welcome. */
export interface RelayAuth {
  relayPublicKey: Bytes;
  ephemeralPublicKey: Bytes;
  signature: Bytes;
}

/** What both sides bind the handshake to: the address the client dialled and the relay's cookie. */
export interface HandshakeContext {
  /** As the client names the relay (HOST:PORT); the relay signs over whatever the client sent. */
  relayAddress: string;
  cookie: Bytes;
}

/** One direction's AES-256-GCM key and the IV that packet numbers are XORed into (as in TLS 1.3/QUIC). */
export interface DirectionKey {
  key: Bytes;
  iv: Bytes;
}

export interface SessionKeys {
  sessionId: Bytes;
  send: DirectionKey;
  receive: DirectionKey;
  /** SHA-256 of the whole handshake: a channel binding. */
  transcriptHash: Bytes;
}

/** The client's state between sending ClientAuth and receiving RelayAuth. */
export interface PendingHandshake {
  readonly hello: ClientAuth;
  readonly helloHash: Bytes;
  readonly ephemeralSecret: Bytes;
}

export type HandshakeFailure = 'bad-client-signature' | 'bad-relay-signature' | 'low-order-key';

export type ClientOutcome = { ok: true; keys: SessionKeys; relayPublicKey: Bytes } | { ok: false; reason: HandshakeFailure };
export type RelayOutcome = { ok: true; reply: RelayAuth; keys: SessionKeys; clientPublicKey: Bytes; sessionId: Bytes } | { ok: false; reason: HandshakeFailure };

/** Fields with a u16 length each, behind a label: no two different transcripts share an encoding. */
function transcript(label: string, ...fields: Bytes[]): Uint8Array {
  const parts = [new TextEncoder().encode(label), ...fields];
  const out = new Uint8Array(parts.reduce((n, p) => n + 2 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    if (p.length > 0xffff) throw new ProtocolError('A handshake field is over 65,535 bytes');
    out[at++] = p.length >> 8;
    out[at++] = p.length & 0xff;
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

function helloTranscript(ctx: HandshakeContext, a: Omit<ClientAuth, 'signature'>): Uint8Array {
  return transcript(HELLO_LABEL, utf8(ctx.relayAddress), ctx.cookie, a.sessionId, a.devicePublicKey, a.ephemeralPublicKey);
}

function deriveKeys(c: Crypto, shared: Bytes, transcriptHash: Bytes, sessionId: Bytes, side: 'client' | 'relay'): SessionKeys {
  const okm = c.hkdfSha256(shared, transcriptHash, utf8(KEYS_LABEL), 2 * (KEY_BYTES + NONCE_BYTES));
  const c2r = { key: okm.slice(0, 32), iv: okm.slice(32, 44) };
  const r2c = { key: okm.slice(44, 76), iv: okm.slice(76, 88) };
  return side === 'client' ? { sessionId, send: c2r, receive: r2c, transcriptHash } : { sessionId, send: r2c, receive: c2r, transcriptHash };
}

/** Client, step 1: a fresh ephemeral key and the session id (new unless given: a client keeps one
 * for its lifetime, and each join makes a new handshake for it), signed with the device key. */
export function startHandshake(c: Crypto, device: SigningKey, ctx: HandshakeContext, sessionId: Bytes = c.random(SESSION_ID_BYTES)): PendingHandshake {
  checkLength('A session id', sessionId, SESSION_ID_BYTES);
  const ephemeralSecret = c.random(KEY_BYTES);
  const unsigned = { devicePublicKey: device.publicKey, sessionId: Uint8Array.from(sessionId), ephemeralPublicKey: c.dhKey(ephemeralSecret).publicKey };
  const t1 = helloTranscript(ctx, unsigned);
  const signature = device.sign(t1);
  return { hello: { ...unsigned, signature }, helloHash: c.sha256(t1, signature), ephemeralSecret };
}

/** SHA-256(T1 | Sig_D): the client's half of the transcript, which both sides know once the Hello is
 * sent (the client has it as PendingHandshake.helloHash). A sealed room's join proof signs it. */
export function clientHelloHash(c: Crypto, ctx: HandshakeContext, hello: ClientAuth): Uint8Array {
  return c.sha256(helloTranscript(ctx, hello), hello.signature);
}

/**
 * Relay: checks the client's signature and answers. The caller has checked the cookie first (cheap,
 * before any public-key work) and, on a retransmitted Hello with the same session id and ephemeral key,
 * resends its earlier answer instead of calling this again.
 */
export function answerHandshake(c: Crypto, relay: SigningKey, ctx: HandshakeContext, hello: ClientAuth): RelayOutcome {
  const t1 = helloTranscript(ctx, hello);
  if (!c.verifyKey(hello.devicePublicKey).verify(t1, hello.signature)) return { ok: false, reason: 'bad-client-signature' };
  const ephemeral = c.dhKey(c.random(KEY_BYTES));
  let shared: Bytes;
  try {
    shared = ephemeral.agree(hello.ephemeralPublicKey);
  } catch {
    return { ok: false, reason: 'low-order-key' };
  }
  const t2 = transcript(WELCOME_LABEL, c.sha256(t1, hello.signature), relay.publicKey, ephemeral.publicKey);
  const signature = relay.sign(t2);
  const keys = deriveKeys(c, shared, c.sha256(t2, signature), hello.sessionId, 'relay');
  const reply = { relayPublicKey: relay.publicKey, ephemeralPublicKey: ephemeral.publicKey, signature };
  return { ok: true, reply, keys, clientPublicKey: hello.devicePublicKey, sessionId: hello.sessionId };
}

/** Client, step 2: checks the relay's signature and derives the keys. The caller then checks the relay key's pin. */
export function finishHandshake(c: Crypto, pending: PendingHandshake, reply: RelayAuth): ClientOutcome {
  const t2 = transcript(WELCOME_LABEL, pending.helloHash, reply.relayPublicKey, reply.ephemeralPublicKey);
  if (!c.verifyKey(reply.relayPublicKey).verify(t2, reply.signature)) return { ok: false, reason: 'bad-relay-signature' };
  let shared: Bytes;
  try {
    shared = c.dhKey(pending.ephemeralSecret).agree(reply.ephemeralPublicKey);
  } catch {
    return { ok: false, reason: 'low-order-key' };
  }
  return { ok: true, keys: deriveKeys(c, shared, c.sha256(t2, reply.signature), pending.hello.sessionId, 'client'), relayPublicKey: reply.relayPublicKey };
}

// ---- fixed-size encodings, for the codec to carry ----

export function encodeClientAuth(a: ClientAuth): Uint8Array {
  checkLength('A device public key', a.devicePublicKey, KEY_BYTES);
  checkLength('A session id', a.sessionId, SESSION_ID_BYTES);
  checkLength('An ephemeral public key', a.ephemeralPublicKey, KEY_BYTES);
  checkLength('A signature', a.signature, SIGNATURE_BYTES);
  return concat(a.devicePublicKey, a.sessionId, a.ephemeralPublicKey, a.signature);
}

export function decodeClientAuth(bytes: Uint8Array): ClientAuth {
  const r = reader(bytes, 'Hello auth', CLIENT_AUTH_BYTES);
  const a = { devicePublicKey: r.bytes(KEY_BYTES, 'device key'), sessionId: r.bytes(SESSION_ID_BYTES, 'session id'), ephemeralPublicKey: r.bytes(KEY_BYTES, 'ephemeral key'), signature: r.bytes(SIGNATURE_BYTES, 'signature') };
  return copyAll(a);
}

export function encodeRelayAuth(a: RelayAuth): Uint8Array {
  checkLength('A relay public key', a.relayPublicKey, KEY_BYTES);
  checkLength('An ephemeral public key', a.ephemeralPublicKey, KEY_BYTES);
  checkLength('A signature', a.signature, SIGNATURE_BYTES);
  return concat(a.relayPublicKey, a.ephemeralPublicKey, a.signature);
}

export function decodeRelayAuth(bytes: Uint8Array): RelayAuth {
  const r = reader(bytes, 'Welcome auth', RELAY_AUTH_BYTES);
  return copyAll({ relayPublicKey: r.bytes(KEY_BYTES, 'relay key'), ephemeralPublicKey: r.bytes(KEY_BYTES, 'ephemeral key'), signature: r.bytes(SIGNATURE_BYTES, 'signature') });
}

function reader(bytes: Uint8Array, what: string, size: number): Reader {
  if (bytes.length > size) throw new ProtocolError(`Cannot decode ${what} (${bytes.length - size} trailing bytes)`);
  return new Reader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), what);
}

/** Decoded fields are copies, so a key kept in a session does not pin the whole datagram's buffer. */
function copyAll<T extends Record<string, Uint8Array>>(a: T): T {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, Uint8Array.from(v)])) as T;
}

function concat(...parts: Bytes[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
