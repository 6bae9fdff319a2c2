// Issue 8, "every seq is used up; kinds are forward-compatible": a message of a kind this version
// does not know (a later reaction or edit), or one that does not decode, used to be dropped, so its
// seq was asked for again for ever and everything after it waited. Now the relay sequences a later
// kind unchanged (and keeps it across a restart), and a client delivers a placeholder in its place.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode, encode } from '../../src/protocol/codec';
import { fragmentMsg } from '../../src/protocol/fragments';
import { PacketType as T, type Data, type MessageHead, type Msg } from '../../src/protocol/packets';
import { signWire } from '../../src/chat/client/signatures';
import type { Address, RoomMessage } from '../../src/chat';
import { Inbox } from '../../src/chat/client/inbox';
import { RttEstimator } from '../../src/chat/client/rtt';
import { placeholder } from '../../src/common/message';
import { formatMessage, jsonLine, messageJson } from '../../src/cli/format';
import { ChatSession } from '../../src/extension/chatSession';
import { FileHistory } from '../../src/extension/history';
import { messageBody, preview } from '../../src/extension/views';
import { isChatItem } from '../../src/webview/valid';
import { FAST_CLIENT, Harness, until } from './helpers/engine';
import { RawV2 } from './helpers/raw-v2';

const h = new Harness();
const dirs: string[] = [];
after(async () => {
  await h.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const shown = (m: RoomMessage): string => (m.kind === 'placeholder' ? `[${m.reason}]` : m.text);

/** A member with a bare socket, as a later version would be: it can send a Data of any kind byte,
 * which ChatClient.send cannot. */
async function rawMember(relay: Address): Promise<{ send(kind: number, text: string): void; acked: Set<number> }> {
  const raw = await RawV2.open(relay);
  h.track(() => raw.close());
  const answer = await raw.join({ name: 'later' });
  assert.equal(answer.type, T.Welcome);
  const acked = new Set<number>();
  raw.sock.on('message', () => {
    for (const p of raw.got.splice(0)) {
      if (p.type === T.Ack && p.seq !== 0) acked.add(p.msgId);
      else if (p.type === T.Msg && p.senderId.equals(raw.clientId)) acked.add(p.msgId);
    }
  });
  let msgId = 0;
  return {
    acked,
    send(kind, text) {
      const chunk = Buffer.from(text, 'utf8');
      const head: MessageHead = kind === 1 ? { kind: 'text', totalBytes: chunk.length } : { kind: 'other', code: kind, totalBytes: chunk.length };
      head.auth = signWire(raw.identity.signingKey, raw.roomId, raw.clientId, ++msgId, head, chunk); // signed, as every kind is
      const data: Data = { type: T.Data, clientId: raw.clientId, msgId, fragIndex: 0, fragCount: 1, head, chunk };
      raw.send(data);
    },
  };
}

test('a message of a later kind between two texts: a member gets text, placeholder, text, in order, and nothing stalls', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'whatsudp-kinds-'));
  dirs.push(dir);
  const relay = await h.relay({ store: dir });
  const ann = await h.client(relay.address(), 'ann');
  const later = await rawMember(relay.address());
  later.send(1, 'before');
  later.send(7, '{"react":"+1","to":1}');
  later.send(1, 'after');
  await until(() => ann.messages.length >= 3, 5000, 'ann gets all three messages');
  assert.deepEqual(ann.messages.map((m) => [m.seq, m.kind, shown(m)]), [
    [1, 'text', 'before'],
    [2, 'placeholder', "[a kind of message this version can't show (kind 7)]"],
    [3, 'text', 'after'],
  ]);
  await until(() => later.acked.size === 3, 5000, 'the relay sequenced the later kind, and the sender knows');
  assert.deepEqual([...later.acked].sort(), [1, 2, 3]);

  // The relay keeps it as it came: after a restart from its store a newcomer's backfill has it too,
  // in its place, and the conversation goes on.
  await relay.close();
  const again = await h.relay({ store: dir, port: relay.address().port });
  const bob = await h.client(again.address(), 'bob');
  await until(() => bob.messages.length >= 3, 5000, "bob's backfill from the restarted relay");
  assert.deepEqual(bob.messages.map((m) => [m.seq, m.kind]), [[1, 'text'], [2, 'placeholder'], [3, 'text']]);
  ann.client.send({ kind: 'text', text: 'still here' });
  await until(() => bob.messages.some((m) => m.kind === 'text' && m.text === 'still here'), 5000, 'a message after the placeholder');
});

test("the seed's plain-text chat hears the texts around a later kind, never its bytes", async () => {
  const relay = await h.relay({ host: '127.0.0.1', legacyBroadcast: '127.0.0.2' });
  const { port } = relay.address();
  const listener = dgram.createSocket('udp4');
  await new Promise<void>((r) => listener.bind(port, '127.0.0.2', r));
  h.track(() => new Promise<void>((r) => listener.close(() => r())));
  const heard: string[] = [];
  listener.on('message', (b) => heard.push(b.toString()));
  const ann = await h.client(relay.address(), 'ann');
  const later = await rawMember(relay.address());
  later.send(1, 'before');
  later.send(7, '{"react":"+1","to":1}');
  later.send(1, 'after');
  await until(() => ann.messages.length === 3 && heard.length >= 2, 5000, 'the room and the seed clients');
  await new Promise((r) => setTimeout(r, 100)); // a third broadcast, if any, has come by now
  assert.deepEqual(heard, ['later: before', 'later: after']);
});

/** The Msg datagrams of seq's message as a relay sends them (one, or `fragments`), as packets. */
function msgs(seq: number, text: string, head: MessageHead = { kind: 'text', totalBytes: Buffer.byteLength(text) }, fragments = 1): Msg[] {
  return fragmentMsg({ seq, time: 1000 + seq, senderId: Buffer.alloc(8, 7), senderFlags: 0, name: 'bob', msgId: seq }, head, Buffer.from(text)).slice(0, fragments === 1 ? undefined : fragments);
}

/** What a client's inbox delivers for these datagrams, as the wire brings them (encoded, then decoded). */
function deliver(datagrams: Buffer[], warnings: string[]): [number, string][] {
  const box = new Inbox(new RttEstimator(1, 25, 25), (e) => warnings.push(e.message));
  box.reset(1);
  return datagrams.flatMap((d) => box.accept(decode(d) as Msg, 0).map((m): [number, string] => [m.seq, shown(m)]));
}

const encoded = (p: Msg): Buffer => encode(p);
/** A first fragment whose head says snippet lines 9 to 3: a head no version can decode. */
function badSnippetHead(seq: number): Buffer {
  const b = encoded(msgs(seq, 'code', { kind: 'snippet', totalBytes: 4, path: 'a.ts', startLine: 3, endLine: 9, language: 'ts' })[0]);
  const at = b.indexOf(Buffer.from('a.ts')) + 4;
  b.writeUInt32BE(9, at);
  b.writeUInt32BE(3, at + 4);
  return b;
}

for (const [what, damaged] of [
  ['text that is not UTF-8', () => msgs(2, 'two').map((p) => encoded({ ...p, chunk: Buffer.from([0xff, 0xfe, 0xfd]) }))],
  ['a snippet head that does not decode (lines 9 to 3)', () => [badSnippetHead(2)]],
  ['fragments whose lengths do not add up to their head', () => [encoded({ ...msgs(2, 'x'.repeat(3000))[0], head: { kind: 'text', totalBytes: 2999 } }), ...msgs(2, 'x'.repeat(3000)).slice(1).map(encoded)]],
] as const) {
  test(`a message that does not decode (${what}) is a placeholder in its seq's place, and later ones are delivered`, () => {
    const warnings: string[] = [];
    const out = deliver([...msgs(1, 'one').map(encoded), ...msgs(3, 'three').map(encoded), ...damaged()], warnings);
    assert.deepEqual(out, [[1, 'one'], [2, '[a message that could not be decoded]'], [3, 'three']]);
    assert.ok(warnings.some((w) => /Seq 2 is shown as a placeholder/.test(w)), `reported: ${warnings.join('; ')}`);
  });
}

test('the codec: a later kind decodes with its kind byte and round-trips; a head that does not decode keeps its seq', () => {
  const later = msgs(5, '{"edit":1}', { kind: 'other', code: 200, totalBytes: 10 })[0];
  assert.deepEqual(decode(encode(later)), later);
  const data: Data = { type: T.Data, clientId: Buffer.alloc(8, 1), msgId: 3, fragIndex: 0, fragCount: 1, head: { kind: 'other', code: 7, totalBytes: 1 }, chunk: Buffer.from('x') };
  assert.deepEqual(decode(encode(data)), data, 'a relay takes a Data of a kind it does not know');
  const bad = decode(badSnippetHead(4)) as Msg;
  assert.equal(bad.seq, 4);
  assert.equal(bad.head, undefined);
  assert.match(bad.undecodable ?? '', /bad line range 9-3/);
  assert.throws(() => decode(badSnippetHead(4).subarray(0, 30)), /truncated/, 'a Msg cut short before its head (seq, sender, fragments) is still malformed');
  assert.throws(() => encode({ ...later, head: { kind: 'other', code: 2, totalBytes: 10 } }), /kind 2 is not a later kind/);
});

test('the CLI shows a placeholder with a visible marker; --json says "kind": "placeholder" and why', () => {
  const m: RoomMessage = { ...placeholder.unknownKind(7), seq: 2, time: 5, msgId: 9, sender: { id: '00000000000000a7', name: 'later', legacy: false }, verified: false };
  assert.equal(formatMessage(m.sender.name, m), "later: [not shown: a kind of message this version can't show (kind 7)]");
  const json = JSON.parse(jsonLine(messageJson(m, false))) as Record<string, unknown>;
  assert.equal(json.kind, 'placeholder');
  assert.equal(json.reason, "a kind of message this version can't show (kind 7)");
  assert.equal(json.text, '');
  assert.equal((JSON.parse(jsonLine(messageJson({ kind: 'text', text: 'hi', seq: 1, time: 5, msgId: 1, sender: m.sender, verified: false }, false))) as Record<string, unknown>).reason, null, 'the same keys for every message');
});

test('the panel takes a placeholder item (and no other new kind), and the history keeps it', () => {
  const item = { type: 'message', key: 's:2', seq: 2, time: 5, sender: { id: 'a', name: 'later', legacy: false }, own: false, body: placeholder.undecodable() };
  assert.equal(isChatItem(item), true);
  assert.equal(isChatItem({ ...item, body: { kind: 'placeholder', text: '' } }), false, 'a placeholder says why');
  assert.equal(isChatItem({ ...item, body: { kind: 'reaction', text: '' } }), false);
  const m: RoomMessage = { ...placeholder.unknownKind(9), seq: 2, time: 5, msgId: 9, sender: item.sender, verified: false };
  assert.deepEqual(messageBody(m), placeholder.unknownKind(9), 'not turned into an empty text on its way to the panel');
  assert.equal(preview(m), "later: [not shown: a kind of message this version can't show (kind 9)]");
});

test('the panel and its history keep a placeholder: a muted row with the reason, also after a reload', async () => {
  const relay = await h.relay();
  const dir = mkdtempSync(path.join(tmpdir(), 'whatsudp-kinds-history-'));
  dirs.push(dir);
  const open = async () => {
    const storage = await FileHistory.open(dir);
    assert.ok(storage);
    const session = await ChatSession.open({ server: relay.address(), name: 'me', storage, log: { info: () => undefined, warn: () => undefined }, maxMessages: 100, timers: FAST_CLIENT });
    h.track(() => session.dispose());
    return session;
  };
  const bodies = (s: ChatSession) => s.snapshot().items.flatMap((i) => (i.type === 'message' ? [i.body] : []));
  let session = await open();
  await session.connect();
  const later = await rawMember(relay.address());
  later.send(9, 'x');
  later.send(1, 'next');
  await until(() => bodies(session).length >= 2, 5000, 'both rows in the panel');
  const expected = [
    { kind: 'placeholder', text: '', reason: "a kind of message this version can't show (kind 9)", code: 9 },
    { kind: 'text', text: 'next' },
  ];
  assert.deepEqual(bodies(session), expected);
  await session.dispose();
  session = await open();
  assert.deepEqual(bodies(session), expected, 'the same rows from disk');
});
