// Issue 9, sealing: in a sealed room a member seals each message's content with the room's key before
// signing it, and opens it after checking the signature, so the relay sequences, stores and backfills
// what it cannot read: its store holds none of the text. A member without the key, or with another
// room's, sees "can't read this message: it was sealed with a key you don't have", never garbage;
// content moved to another author or msgId does not open.
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatError, type RoomMessage } from '../../src/chat';
import { RoomSeal } from '../../src/chat/client/room-seal';
import { nodeCrypto } from '../../src/protocol/crypto';
import { decodeContent, encodeContent, MAX_SEALED_TEXT_BYTES, SEALED_KIND } from '../../src/protocol/sealed-content';
import { newRoomSecret, roomVerifier } from '../../src/protocol/sealed-room';
import { Harness, until } from './helpers/engine';

const c = nodeCrypto;
const CANNOT = "can't read this message: it was sealed with a key you don't have";
const snippet = { kind: 'snippet' as const, text: 'const token = "hunter2";', path: 'src/secret.ts', startLine: 3, endLine: 3, language: 'typescript' };

describe('sealed content', () => {
  test('a text and a snippet read back whole; the longest text a sealed message holds fits, one byte more does not', () => {
    assert.deepEqual(decodeContent(encodeContent({ kind: 'text', text: 'hé 🙂' })), { kind: 'text', text: 'hé 🙂' });
    assert.deepEqual(decodeContent(encodeContent(snippet)), snippet);
    encodeContent({ kind: 'text', text: 'x'.repeat(MAX_SEALED_TEXT_BYTES) });
    assert.throws(() => encodeContent({ kind: 'text', text: 'x'.repeat(MAX_SEALED_TEXT_BYTES + 1) }), /in a sealed room a message holds at most about 49114/);
  });

  test('opens only for the room, author and msgId it was sealed for, and only with its secret', () => {
    const secret = newRoomSecret(c);
    const seal = new RoomSeal(c, secret);
    const ann = Buffer.from('0102030405060708', 'hex');
    const bob = Buffer.from('1112131415161718', 'hex');
    const wire = seal.seal(7n, ann, 1, snippet);
    assert.equal(wire.head.kind === 'other' && wire.head.code, SEALED_KIND);
    assert.ok(!wire.text.toString('latin1').includes('hunter2'));
    assert.deepEqual(seal.open(7n, ann, 1, wire.text), snippet);
    for (const [what, opened] of [
      ['another author', seal.open(7n, bob, 1, wire.text)],
      ['another msgId', seal.open(7n, ann, 2, wire.text)],
      ['another room', seal.open(8n, ann, 1, wire.text)],
      ["another room's secret", new RoomSeal(c, newRoomSecret(c)).open(7n, ann, 1, wire.text)],
      ['a changed byte', seal.open(7n, ann, 1, Buffer.from(wire.text.toString('latin1').replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A')), 'latin1'))],
      ['not base64url', seal.open(7n, ann, 1, Buffer.from('!!!!', 'latin1'))],
    ] as const) {
      assert.deepEqual(opened, { kind: 'placeholder', text: '', reason: CANNOT }, what);
    }
    assert.notDeepEqual(seal.seal(7n, ann, 1, snippet).text, wire.text, 'random nonces: the same message seals differently');
  });
});

describe('a sealed conversation', () => {
  const h = new Harness();
  const dirs: string[] = [];
  afterEach(() => h.close());
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("members read each other, live and in a late joiner's backfill; the relay sees and stores none of it", async () => {
    const store = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-sealed-store-'));
    dirs.push(store);
    const secret = newRoomSecret(c);
    const relay = await h.relay({ store, roomVerifier: roomVerifier(c, secret) });
    const seenByRelay: RoomMessage[] = [];
    relay.on('message', (m) => seenByRelay.push(m));
    const ann = await h.client(relay.address(), 'ann', { roomSecret: secret });
    const bob = await h.client(relay.address(), 'bob', { roomSecret: secret });
    ann.client.send({ kind: 'text', text: 'the deploy token is tok-4242' });
    ann.client.send(snippet);
    await until(() => bob.messages.length === 2, 5000, "ann's two messages at bob");
    assert.deepEqual(bob.texts(), ['ann: the deploy token is tok-4242', 'ann: const token = "hunter2";']);
    assert.equal(bob.messages[1].kind, 'snippet');
    assert.ok(bob.messages.every((m) => m.verified), 'signed, and the signature checked before opening');

    const carol = await h.client(relay.address(), 'carol', { roomSecret: secret });
    await until(() => carol.messages.length === 2, 5000, 'the backfill at carol');
    assert.deepEqual(carol.texts(), bob.texts());

    assert.equal(seenByRelay.length, 2);
    for (const m of seenByRelay) assert.deepEqual([m.kind, m.text], ['placeholder', ''], 'the relay cannot read it');
    await relay.close();
    const kept = readdirSync(store).map((f) => readFileSync(path.join(store, f)));
    assert.ok(kept.length > 0);
    for (const secretWord of ['tok-4242', 'hunter2', 'secret.ts', 'deploy']) {
      assert.ok(!kept.some((b) => b.includes(secretWord)), `"${secretWord}" is not in the relay's store`);
    }
  });

  test("a member with another room's key, or none, is told it cannot read, not shown garbage", async () => {
    // An open relay: the gate would keep them out of a sealed one, so sealing is what is tested here.
    const relay = await h.relay();
    const secret = newRoomSecret(c);
    const ann = await h.client(relay.address(), 'ann', { roomSecret: secret });
    const eve = await h.client(relay.address(), 'eve', { roomSecret: newRoomSecret(c) });
    const old = await h.client(relay.address(), 'old');
    ann.client.send({ kind: 'text', text: 'only for the room' });
    await until(() => eve.messages.length === 1 && old.messages.length === 1, 5000, 'the message at eve and old');
    for (const m of [...eve.messages, ...old.messages]) {
      assert.equal(m.kind, 'placeholder');
      assert.equal(m.kind === 'placeholder' && m.reason, CANNOT);
      assert.equal(m.sender.name, 'ann');
    }
    // The conversation goes on past it.
    eve.client.send({ kind: 'text', text: 'eve here' });
    await until(() => ann.messages.length === 2, 5000, "eve's message at ann");
    assert.equal(ann.messages[1].kind, 'placeholder', "ann cannot read eve's room either");
  });

  test('a text too long to be sealed is refused when sent, saying why', async () => {
    const secret = newRoomSecret(c);
    const relay = await h.relay({ roomVerifier: roomVerifier(c, secret) });
    const ann = await h.client(relay.address(), 'ann', { roomSecret: secret });
    assert.throws(
      () => ann.client.send({ kind: 'text', text: 'x'.repeat(MAX_SEALED_TEXT_BYTES + 1) }),
      (e: Error) => e instanceof ChatError && e.code === 'TOO_LARGE' && /sealed room/.test(e.message),
    );
  });
});
