// The relay's side of a rekey (issue 9, relay/rekey.ts): who may send one, that it is proven with the
// room's current secret, that epochs only go up; and what the gate admits after it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RoomSeal } from '../../src/chat/client/room-seal';
import { newIdentity } from '../../src/chat/identity/device';
import { RoomGate } from '../../src/chat/relay/gate';
import { checkRekey, NOT_ALLOWED_DETAIL, rotate } from '../../src/chat/relay/rekey';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { newRoomSecret, roomVerifier } from '../../src/protocol/sealed-room';

const room = 'team';
const verdict = (v: ReturnType<typeof checkRekey>) => (v.ok ? 'ok' : v.detail);

describe("the relay's rekey check", () => {
  const [a, b, x] = [newIdentity(c).identity, newIdentity(c).identity, newIdentity(c).identity];
  const secret = newRoomSecret(c);
  const bobKey = { key: b.publicKey, x25519: b.dhKey.publicKey };
  const rekeyText = (seal: RoomSeal) => {
    const { body } = seal.prepareRekey([bobKey], [b.publicKey]);
    return seal.seal(1n, Buffer.alloc(8), 1, body).text.toString('utf8');
  };

  test("the creator's, proven: taken; one proven with the replaced secret is not; the admin it named passes the author check", () => {
    const gate = new RoomGate(c, roomVerifier(c, secret));
    const owners = { creator: a.publicKey };
    const alice = RoomSeal.load(c, secret, { room, identity: a });
    const v = checkRekey(gate, owners, a.publicKey, rekeyText(alice), room);
    assert.equal(verdict(v), 'ok');
    if (!v.ok) return;
    rotate(gate, v.fields, true);
    assert.deepEqual(Buffer.from(gate.current), Buffer.from(v.fields.verifier));
    assert.ok(gate.rotation?.keeps(b.publicKey) && gate.rotation.keeps(a.publicKey) && !gate.rotation.keeps(x.publicKey));
    // The same old secret again: its proof no longer checks against the gate (the verifier moved on).
    assert.match(verdict(checkRekey(gate, owners, a.publicKey, rekeyText(RoomSeal.load(c, secret, { room, identity: a })), room)), /not proven with the room's current key/);
    assert.equal(verdict(checkRekey(gate, owners, x.publicKey, '{}', room)), NOT_ALLOWED_DETAIL);
    assert.notEqual(verdict(checkRekey(gate, owners, b.publicKey, '{}', room)), NOT_ALLOWED_DETAIL, 'bob, named admin, passes the author check');
  });

  test('refused: another author, no or a wrong proof, another room name, an open room, a DM room', () => {
    const gate = new RoomGate(c, roomVerifier(c, secret));
    const alice = RoomSeal.load(c, secret, { room, identity: a });
    const text = rekeyText(alice);
    assert.equal(verdict(checkRekey(gate, { creator: a.publicKey }, x.publicKey, text, room)), NOT_ALLOWED_DETAIL);
    assert.equal(verdict(checkRekey(gate, {}, a.publicKey, text, room)), NOT_ALLOWED_DETAIL, 'a room without a creator');
    const fields = JSON.parse(text) as Record<string, unknown>;
    assert.match(verdict(checkRekey(gate, { creator: a.publicKey }, a.publicKey, JSON.stringify({ ...fields, proof: undefined }), room)), /not proven/);
    const stranger = RoomSeal.load(c, newRoomSecret(c), { room, identity: a });
    assert.match(verdict(checkRekey(gate, { creator: a.publicKey }, a.publicKey, rekeyText(stranger), room)), /not proven/, 'proven with another secret');
    assert.match(verdict(checkRekey(gate, { creator: a.publicKey }, a.publicKey, text, 'other')), /not proven/, 'made for another room');
    assert.match(verdict(checkRekey(undefined, { creator: a.publicKey }, a.publicKey, text, room)), /open room/);
    assert.match(verdict(checkRekey(gate, { creator: a.publicKey, dmKeys: new Uint8Array(64) }, a.publicKey, text, room)), /direct message/);
    assert.match(verdict(checkRekey(gate, { creator: a.publicKey }, a.publicKey, 'not json', room)), /do not decode/);
  });
});
