// Key rotation on the client side (issue 9): a rekey's new secret reaches exactly the members it
// keeps; they read old and new messages alike, a removed member reads nothing sealed after it, a
// newcomer with the new link reads the new epoch, and a rekey whose wrap does not match its verifier
// is not taken. No relay here: rotation-relay.test.ts runs the same through one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { RoomSeal } from '../../src/chat/client/room-seal';
import { rotateRoomKey } from '../../src/chat/rotation';
import { newIdentity } from '../../src/chat/identity/device';
import { Keyring } from '../../src/chat/identity/keyring';
import { MemoryStore } from '../../src/chat/identity/store';
import { nodeCrypto as c } from '../../src/protocol/crypto';
import { bodyOf, KIND_REKEY } from '../../src/protocol/kinds';
import { formatRekey, parseRekey, rekeySigned } from '../../src/protocol/rekey';
import { newRoomSecret, rekeyProof, sealedEpoch } from '../../src/protocol/sealed-room';
import { sealedBytes } from '../../src/protocol/sealed-content';

const room = 'team';
const roomId = 7n;
const author = Buffer.alloc(8, 1);
const text = (body: ReturnType<RoomSeal['open']>) => (body.kind === 'placeholder' ? `[${body.reason}]` : body.text);

function members(secret: Uint8Array, keyring?: Keyring) {
  const [a, b, x] = [newIdentity(c).identity, newIdentity(c).identity, newIdentity(c).identity];
  const seal = (id: typeof a, ring?: Keyring) => RoomSeal.load(c, secret, { room, identity: id, ...(ring ? { keyring: ring } : {}) });
  return { a, b, x, alice: seal(a), bob: seal(b, keyring), mallory: seal(x) };
}

/** Alice rotates keeping Bob (not Mallory); every member reads the rekey as the relay sequenced it. */
async function rotate(m: ReturnType<typeof members>) {
  const { body, fields, secret } = m.alice.prepareRekey([{ key: m.b.publicKey, x25519: m.b.dhKey.publicKey }]);
  const wire = m.alice.seal(roomId, author, 5, body);
  assert.equal(wire.head.kind === 'other' && wire.head.code, KIND_REKEY);
  const t = wire.text.toString('utf8');
  const got = await Promise.all([m.alice.rekey(t), m.bob.rekey(t), m.mallory.rekey(t)]);
  return { fields, secret, got, t };
}

describe('rotation, client side', () => {
  test('the kept read old and new messages; the removed one reads old, not new', async () => {
    const m = members(newRoomSecret(c));
    const before = m.mallory.seal(roomId, author, 1, { kind: 'text', text: 'before the rotation' });
    const { secret, got } = await rotate(m);
    assert.equal(got[0]?.epoch, 1);
    assert.equal(Buffer.from(got[1]!.secret).toString('hex'), Buffer.from(secret).toString('hex'), 'bob unwrapped the new secret');
    assert.equal(got[2], undefined, 'mallory got nothing');
    const after = m.alice.seal(roomId, author, 2, { kind: 'text', text: 'after the rotation' });
    assert.equal(sealedEpoch(sealedBytes(after.text)!), 1);
    assert.equal(text(m.bob.open(roomId, author, 2, after.text)), 'after the rotation');
    assert.equal(text(m.bob.open(roomId, author, 1, before.text)), 'before the rotation');
    assert.equal(text(m.alice.open(roomId, author, 1, before.text)), 'before the rotation');
    assert.match(text(m.mallory.open(roomId, author, 2, after.text)), /sealed with a key you don't have/);
    // Mallory's own messages after it are sealed with what it has, which the kept can still read; the
    // relay refuses its session (reason 11), so there are none in a real room.
    assert.equal(m.mallory.epoch, 0);
  });

  test('epochs learnt are kept in the keyring: after a restart the member still reads both', async () => {
    const store = new MemoryStore();
    const secret0 = newRoomSecret(c);
    const m = members(secret0, await Keyring.load(store));
    const old = m.alice.seal(roomId, author, 1, { kind: 'text', text: 'old' });
    await rotate(m);
    const fresh = m.alice.seal(roomId, author, 2, { kind: 'text', text: 'new' });
    const restarted = RoomSeal.load(c, secret0, { room, identity: m.b, keyring: await Keyring.load(store) });
    assert.equal(restarted.epoch, 1);
    assert.equal(text(restarted.open(roomId, author, 1, old.text)), 'old');
    assert.equal(text(restarted.open(roomId, author, 2, fresh.text)), 'new');
    const without = RoomSeal.load(c, secret0, { room, identity: m.b });
    assert.match(text(without.open(roomId, author, 2, fresh.text)), /key you don't have/, 'and without the keyring it would not');
  });

  test('a newcomer with the new link reads the new epoch at once, and its secret is filed under its epoch by the next rekey', async () => {
    const m = members(newRoomSecret(c));
    const { secret } = await rotate(m);
    const carolId = newIdentity(c).identity;
    const carol = RoomSeal.load(c, secret, { room, identity: carolId });
    const fromAlice = m.alice.seal(roomId, author, 3, { kind: 'text', text: 'welcome carol' });
    assert.equal(text(carol.open(roomId, author, 3, fromAlice.text)), 'welcome carol');
    const early = carol.seal(roomId, author, 4, { kind: 'text', text: 'hi' }); // epoch not known yet
    assert.equal(text(m.bob.open(roomId, author, 4, early.text)), 'hi');
    const next = m.alice.prepareRekey([{ key: carolId.publicKey, x25519: carolId.dhKey.publicKey }]);
    assert.equal((await carol.rekey(m.alice.seal(roomId, author, 9, next.body).text.toString('utf8')))?.epoch, 2);
    assert.equal(carol.epoch, 2);
    assert.equal(text(carol.open(roomId, author, 3, fromAlice.text)), 'welcome carol', 'epoch 1, filed now, still opens');
  });

  test('a rekey not proven with the secret it replaces is not taken: a stranger, a removed member, a second one for an epoch', async () => {
    const m = members(newRoomSecret(c));
    const bobKey = { key: m.b.publicKey, x25519: m.b.dhKey.publicKey };
    // A stranger (a relay, or someone it let in) who knows the members' DH keys but not the secret.
    const stranger = RoomSeal.load(c, newRoomSecret(c), { room, identity: m.x });
    const forged = stranger.prepareRekey([bobKey]);
    assert.equal(await m.bob.rekey(stranger.seal(roomId, author, 1, forged.body).text.toString('utf8')), undefined, "a stranger's");
    const unproven = formatRekey({ ...forged.fields, proof: undefined }).toString('utf8');
    assert.equal(await m.bob.rekey(unproven), undefined, 'no proof');
    // Mallory, removed at epoch 1, still holds epoch 0's secret: neither a rekey for epoch 2 made with it
    // nor a second one for epoch 1 is taken.
    const secret0 = (m.alice as unknown as { held: { secret: Uint8Array }[] }).held[0].secret;
    await rotate(m);
    const asBefore = RoomSeal.load(c, secret0, { room, identity: m.x }); // mallory as it was before the rotation
    const lost = asBefore.prepareRekey([bobKey]);
    assert.equal(await m.bob.rekey(asBefore.seal(roomId, author, 2, lost.body).text.toString('utf8')), undefined, "a removed member's, for the epoch it lost");
    const fields2 = { ...lost.fields, epoch: 2, proof: undefined };
    const proof = rekeyProof(c, secret0, rekeySigned(room, fields2));
    assert.equal(await m.bob.rekey(formatRekey({ ...fields2, proof }).toString('utf8')), undefined, "a removed member's, for the next epoch");
    assert.throws(() => m.mallory.prepareRekey([bobKey]), /no longer holds the room's newest key/, 'and its own client says it cannot');
    assert.equal(m.bob.epoch, 1);
    assert.equal(m.bob.latestEpoch, 1);
  });

  test('a second rotation moves on from the newest epoch read; the member kept in both holds three', async () => {
    const m = members(newRoomSecret(c));
    await rotate(m);
    const again = m.alice.prepareRekey([{ key: m.b.publicKey, x25519: m.b.dhKey.publicKey }]);
    assert.equal(again.fields.epoch, 2);
    const t = m.alice.seal(roomId, author, 9, again.body).text.toString('utf8');
    assert.equal((await m.bob.rekey(t))?.epoch, 2);
    assert.equal(m.bob.epoch, 2);
  });

  test('a wrap that opens to a secret other than the verifier says, or moved to another member, is not taken', async () => {
    const m = members(newRoomSecret(c));
    const { fields } = m.alice.prepareRekey([{ key: m.b.publicKey, x25519: m.b.dhKey.publicKey }]);
    const other = m.alice.prepareRekey([{ key: m.b.publicKey, x25519: m.b.dhKey.publicKey }]);
    const lyingFields = { ...fields, verifier: other.fields.verifier, proof: undefined };
    const s0 = (m.alice as unknown as { held: { secret: Uint8Array }[] }).held[0].secret;
    const lying = formatRekey({ ...lyingFields, proof: rekeyProof(c, s0, rekeySigned(room, lyingFields)) });
    assert.equal(await m.bob.rekey(lying.toString('utf8')), undefined, 'verifier of another secret');
    const bobWrap = fields.keep.find((k) => Buffer.from(k.key).equals(Buffer.from(m.b.publicKey)))!.wrap;
    const movedFields = { ...fields, keep: [{ key: m.x.publicKey, wrap: bobWrap }], proof: undefined };
    const moved = formatRekey({ ...movedFields, proof: rekeyProof(c, s0, rekeySigned(room, movedFields)) });
    assert.equal(await m.mallory.rekey(moved.toString('utf8')), undefined, "bob's wrap under mallory's key");
    assert.equal(m.bob.epoch, 0);
  });

  test('rekey fields round trip; malformed ones are not a rekey, and show as such', () => {
    const m = members(newRoomSecret(c));
    const { fields } = m.alice.prepareRekey([{ key: m.b.publicKey, x25519: m.b.dhKey.publicKey }], [m.b.publicKey]);
    const t = formatRekey(fields).toString('utf8');
    const parsed = parseRekey(t);
    assert.equal(parsed && formatRekey(parsed).toString('utf8'), t);
    assert.equal(parsed?.keep.length, 2);
    assert.equal(parsed?.admins?.length, 1);
    const body = bodyOf({ kind: 'other', code: KIND_REKEY, totalBytes: t.length }, t);
    assert.equal(body.kind, 'placeholder');
    assert.match(body.kind === 'placeholder' ? body.reason : '', /changed the room's key \(epoch 1\): 2 members keep access/);
    const j = JSON.parse(t) as Record<string, unknown>;
    for (const bad of ['', 'null', '[]', JSON.stringify({ ...j, epoch: 0 }), JSON.stringify({ ...j, epoch: 1.5 }), JSON.stringify({ ...j, keep: [] }), JSON.stringify({ ...j, verifier: 'AAAA' }), JSON.stringify({ ...j, keep: [{ key: 'x', wrap: 'y' }] }), JSON.stringify({ ...j, admins: ['short'] }), JSON.stringify({ ...j, keep: [...(j.keep as unknown[]), (j.keep as unknown[])[0]] })]) {
      assert.equal(parseRekey(bad), undefined, bad.slice(0, 60));
    }
    const shown = bodyOf({ kind: 'other', code: KIND_REKEY, totalBytes: 2 }, '{}');
    assert.match(shown.kind === 'placeholder' ? shown.reason : '', /could not be decoded/);
  });
});

test('a message of the new epoch put together before the rekey that brings its key opens at its delivery', async () => {
  const m = members(newRoomSecret(c));
  const { body } = m.alice.prepareRekey([{ key: m.b.publicKey, x25519: m.b.dhKey.publicKey }]);
  const rekeyText = m.alice.seal(roomId, author, 5, body).text.toString('utf8');
  await m.alice.rekey(rekeyText);
  const after = m.alice.seal(roomId, author, 6, { kind: 'text', text: 'sealed under epoch 1' });
  // Bob completes seq 11 (the new message) before seq 10 (the rekey), as loss can make him.
  const early = m.bob.openAt(11, roomId, author, 6, after.text);
  assert.match(text(early), /key you don't have/);
  await m.bob.rekey(rekeyText);
  const delivered = m.bob.reopen({ ...early, seq: 11, time: 1, msgId: 6, sender: { id: author.toString('hex'), name: 'ann', legacy: false }, verified: true });
  assert.equal(text(delivered), 'sealed under epoch 1');
  assert.equal(delivered.seq, 11);
  assert.equal(delivered.verified, true);
  assert.ok(!('reason' in delivered), 'no placeholder reason left over');
  // Mallory, not kept, still cannot; and a message already open is left as it is.
  const hers = m.mallory.openAt(11, roomId, author, 6, after.text);
  await m.mallory.rekey(rekeyText);
  assert.match(text(m.mallory.reopen({ ...hers, seq: 11, time: 1, msgId: 6, sender: { id: author.toString('hex'), name: 'ann', legacy: false }, verified: true })), /key you don't have/);
});

test("a member that rejoins with the rotation's new link (the extension keeps it for rejoins) still reads the epochs before", async () => {
  const store = new MemoryStore();
  const secret0 = newRoomSecret(c);
  const m = members(secret0, await Keyring.load(store));
  const old = m.alice.seal(roomId, author, 1, { kind: 'text', text: 'from epoch 0' });
  const { secret } = await rotate(m);
  const rejoined = RoomSeal.load(c, secret, { room, identity: m.b, keyring: await Keyring.load(store) });
  assert.equal(text(rejoined.open(roomId, author, 1, old.text)), 'from epoch 0');
  assert.equal(rejoined.epoch, 1);
});

test('rotateRoomKey says so when another rekey for the same epoch came first (a relay that lets two in)', async () => {
  const m = members(newRoomSecret(c));
  const bobKey = { key: m.b.publicKey, x25519: m.b.dhKey.publicKey };
  // Bob, holding the same secret, rotates first; the relay sequences his rekey, then Alice's.
  const bobs = m.bob.prepareRekey([{ key: m.a.publicKey, x25519: m.a.dhKey.publicKey }]);
  const first = m.bob.seal(roomId, author, 1, bobs.body).text.toString('utf8');
  const events = new EventEmitter();
  const client = {
    roomSeal: m.alice,
    members: [],
    deviceKeyOf: (key: Uint8Array) => Promise.resolve(Buffer.from(key).equals(Buffer.from(m.b.publicKey)) ? { x25519: bobKey.x25519 } : undefined),
    on: (e: string, f: (...a: unknown[]) => void) => events.on(e, f),
    off: (e: string, f: (...a: unknown[]) => void) => events.off(e, f),
    send: (body: Parameters<RoomSeal['seal']>[3]) => {
      const mine = m.alice.seal(roomId, author, 2, body).text.toString('utf8');
      setImmediate(() => {
        events.emit('delivery', { msgId: 2, state: 'delivered' });
        void m.alice.rekey(first).then(() => m.alice.rekey(mine));
      });
      return { msgId: 2 };
    },
  } as unknown as Parameters<typeof rotateRoomKey>[0];
  await assert.rejects(rotateRoomKey(client, { keep: [m.b.publicKey] }), /Someone else changed the room's key at the same time \(epoch 1\)/);
  assert.deepEqual(Buffer.from(m.alice.secretOf(1)!), Buffer.from(bobs.secret), "the room uses bob's");
});
