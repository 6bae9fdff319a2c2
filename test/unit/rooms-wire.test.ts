// Issue 11 on the wire: the Hello extensions room (2), create (3), dm (4) and device DH key (5) read
// back as written, a Hello without them is byte for byte what it was, and a value that cannot be one
// makes the Hello malformed; packets 20-23 round-trip and refuse what cannot be them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { newIdentity } from '../../src/chat/identity';
import { ProtocolError } from '../../src/protocol/bytes';
import { decode, encode } from '../../src/protocol/codec';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { startHandshake } from '../../src/protocol/handshake';
import { HelloExtension } from '../../src/protocol/hello-extensions';
import { PacketType, type Hello, type Packet } from '../../src/protocol/packets';
import { RoomFlags } from '../../src/protocol/rooms';
import { encodeHello, frame, type HelloAuth } from '../../src/protocol/v2';

const cookie = randomBytes(16);
const device = newIdentity(c).identity;
const hs = startHandshake(c, device.signingKey, { relayAddress: '127.0.0.1:2410', cookie });
const hello: Hello = { type: PacketType.Hello, clientId: Buffer.from(hs.hello.sessionId), name: 'ann', flags: 0, roomId: 0n, lastSeq: 0, firstUnacked: 1, cookie };
const base: HelloAuth = { relayAddress: '127.0.0.1:2410', client: hs.hello };
const ext = (type: number, value: Uint8Array) => Buffer.concat([Buffer.from([type, value.length]), value]);
const read = (buf: Buffer) => {
  const f = frame(buf);
  assert.ok(f.kind === 'hello' && f.auth);
  return f.auth;
};

describe('Hello extensions for rooms', () => {
  test('room, create (open and sealed), dm and device DH key read back as written', () => {
    const verifier = randomBytes(32);
    const dmKeys = randomBytes(64);
    const deviceDh = { x25519: device.dhKey.publicKey, certificate: device.dhCertificate };
    const got = read(encodeHello(hello, { ...base, room: 'team-42.dev_x', create: { sealed: true, verifier }, dmKeys, deviceDh }));
    assert.equal(got.room, 'team-42.dev_x');
    assert.deepEqual(got.create, { sealed: true, verifier: Uint8Array.from(verifier) });
    assert.deepEqual(Buffer.from(got.dmKeys!), dmKeys);
    assert.deepEqual(Buffer.from(got.deviceDh!.x25519), Buffer.from(deviceDh.x25519));
    assert.deepEqual(Buffer.from(got.deviceDh!.certificate), Buffer.from(deviceDh.certificate));
    assert.deepEqual(read(encodeHello(hello, { ...base, create: { sealed: false } })).create, { sealed: false });
  });

  test('a Hello without them is the Hello of before rooms, and reads back with none', () => {
    const plain = encodeHello(hello, base);
    const withRoom = encodeHello(hello, { ...base, room: 'main' });
    assert.deepEqual(withRoom.subarray(0, plain.length), plain, 'the extensions only follow');
    assert.deepEqual(withRoom.subarray(plain.length), ext(HelloExtension.Room, Buffer.from('main')));
    const got = read(plain);
    assert.ok(got.room === undefined && got.create === undefined && got.dmKeys === undefined && got.deviceDh === undefined);
  });

  test('a value that cannot be one is malformed; an unknown type is skipped', () => {
    const plain = encodeHello(hello, base);
    const bad = (e: Buffer, why: RegExp) => assert.throws(() => frame(Buffer.concat([plain, e])), (err: Error) => err instanceof ProtocolError && why.test(err.message), why.source);
    bad(ext(HelloExtension.Room, Buffer.from('Upper')), /room name that cannot be one/);
    bad(ext(HelloExtension.Room, Buffer.alloc(0)), /room name that cannot be one/);
    bad(ext(HelloExtension.Room, Buffer.from('x'.repeat(65))), /over 64 bytes/);
    bad(ext(HelloExtension.Room, Buffer.from([0x6d, 0xff])), /UTF-8|cannot be one/);
    bad(ext(HelloExtension.Create, Buffer.from([1])), /create extension of 1 bytes/);
    bad(ext(HelloExtension.Create, Buffer.concat([Buffer.from([0]), randomBytes(32)])), /create extension of 33 bytes/);
    bad(ext(HelloExtension.Dm, randomBytes(63)), /DM extension of 63 bytes/);
    bad(ext(HelloExtension.DeviceDh, randomBytes(95)), /device DH key extension of 95 bytes/);
    bad(Buffer.concat([ext(2, Buffer.from('a')), ext(2, Buffer.from('b'))]), /extension 2 twice/);
    assert.equal(read(Buffer.concat([plain, ext(77, Buffer.from('later')), ext(2, Buffer.from('ok'))])).room, 'ok');
  });

  test('encode refuses what a relay would not read', () => {
    assert.throws(() => encodeHello(hello, { ...base, room: 'No Caps' }), ProtocolError);
    assert.throws(() => encodeHello(hello, { ...base, create: { sealed: true } }), ProtocolError);
    assert.throws(() => encodeHello(hello, { ...base, dmKeys: randomBytes(32) }), ProtocolError);
  });
});

describe('packets 20-23', () => {
  const roundTrip = (p: Packet) => assert.deepEqual(decode(encode(p)), p);
  test('round-trip', () => {
    roundTrip({ type: PacketType.RoomsRequest });
    roundTrip({ type: PacketType.Rooms, page: 0, pageCount: 2, entries: [{ name: 'main', flags: 0, members: 3, headSeq: 9 }, { name: 'dm-abc', flags: RoomFlags.Sealed | RoomFlags.Dm, members: 2, headSeq: 0xffffffff }] });
    roundTrip({ type: PacketType.Rooms, page: 1, pageCount: 2, entries: [] });
    roundTrip({ type: PacketType.KeyRequest, deviceKey: randomBytes(32) });
    roundTrip({ type: PacketType.Key, deviceKey: randomBytes(32) });
    roundTrip({ type: PacketType.Key, deviceKey: randomBytes(32), found: { x25519: randomBytes(32), certificate: randomBytes(64) } });
    roundTrip({ type: PacketType.DmOpened, room: 'dm-abcdefghijklmnopqrstuvwxyz', byKey: randomBytes(32), byName: 'Zoë' });
  });

  test('malformed ones are refused with what is wrong', () => {
    const rooms = encode({ type: PacketType.Rooms, page: 0, pageCount: 1, entries: [{ name: 'ok', flags: 0, members: 1, headSeq: 1 }] });
    const pageOver = Buffer.from(rooms);
    pageOver[3] = 1;
    assert.throws(() => decode(pageOver), /page 1 of 1/);
    const badName = Buffer.from(rooms);
    badName.write('OK', 8);
    assert.throws(() => decode(badName), /room name that cannot be one/);
    assert.throws(() => decode(rooms.subarray(0, rooms.length - 1)), /truncated/);
    const key = encode({ type: PacketType.Key, deviceKey: randomBytes(32) });
    assert.throws(() => decode(Buffer.concat([key.subarray(0, key.length - 1), Buffer.from([2])])), /found 2/);
    assert.throws(() => decode(Buffer.concat([key.subarray(0, key.length - 1), Buffer.from([1])])), /truncated/);
    assert.throws(() => decode(Buffer.concat([encode({ type: PacketType.RoomsRequest }), Buffer.from([0])])), /trailing/);
    assert.throws(() => encode({ type: PacketType.KeyRequest, deviceKey: randomBytes(31) }), ProtocolError);
    const opened = encode({ type: PacketType.DmOpened, room: 'dm-x', byKey: randomBytes(32), byName: 'ann' });
    assert.throws(() => decode(opened.subarray(0, opened.length - 1)), /truncated/);
    const longRoom = Buffer.from(opened);
    longRoom[3] = 65; // the room name's length byte, over 64
    assert.throws(() => decode(longRoom), /room is 65 bytes, over 64/);
  });
});
