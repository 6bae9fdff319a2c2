// Messages signed by their author's device key (issue 8): every member checks the signature before
// a message is shown, so another member cannot send under someone's key, and not even the relay can
// put words in someone's mouth or alter history on its disk (backfill included): what does not check
// out is a placeholder in its seq's place, and the conversation goes on.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { newIdentity } from '../../src/chat/identity';
import { RECORD_MAGIC, HEADER_BYTES } from '../../src/chat/relay/store/record';
import { Inbox } from '../../src/chat/client/inbox';
import { RttEstimator } from '../../src/chat/client/rtt';
import { SignatureChecker, signWire } from '../../src/chat/client/signatures';
import { encode, decode } from '../../src/protocol/codec';
import { nodeCrypto } from '../../src/protocol/crypto';
import { fragmentMsg } from '../../src/protocol/fragments';
import { wireOf } from '../../src/protocol/kinds';
import { PacketType as T, type Msg } from '../../src/protocol/packets';
import { Harness, until } from './helpers/engine';
import { RawV2 } from './helpers/raw-v2';

let h: Harness | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await h?.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("a member's message arrives verified, with the fingerprint of the key that signed it", async () => {
  h = new Harness();
  const relay = await h.relay();
  const annId = newIdentity(nodeCrypto).identity;
  const ann = await h.client(relay.address(), 'ann', { identity: annId });
  const bob = await h.client(relay.address(), 'bob');
  ann.client.send({ kind: 'text', text: 'signed by ann' });
  ann.client.send({ kind: 'snippet', text: 'let x = 1;', path: 'src/a.ts', startLine: 3, endLine: 3, language: 'typescript' });
  await until(() => bob.messages.length === 2, 3000, 'both messages at bob');
  for (const m of bob.messages) {
    assert.equal(m.verified, true, `${m.kind} verified`);
    assert.equal(m.sender.fingerprint, annId.fingerprint);
  }
  assert.equal(bob.messages[1].kind, 'snippet');
});

test('a member cannot send unsigned, or under a key its handshake did not prove: the relay refuses it', async () => {
  h = new Harness();
  const relay = await h.relay();
  const bob = await h.client(relay.address(), 'bob');
  const eve = await RawV2.open(relay.address());
  h.track(() => eve.close());
  assert.equal((await eve.join({ name: 'eve' })).type, T.Welcome);
  const [unsigned] = eve.message(1, { kind: 'text', text: 'no signature' });
  delete unsigned.head!.auth;
  eve.send(unsigned);
  const other = newIdentity(nodeCrypto).identity; // a key eve holds but did not join with
  const text = Buffer.from('signed by another key');
  const { head } = wireOf({ kind: 'text', text: text.toString() });
  head.auth = signWire(other.signingKey, eve.roomId, eve.clientId, 2, head, text);
  eve.send({ type: T.Data, clientId: eve.clientId, msgId: 2, fragIndex: 0, fragCount: 1, head, chunk: text });
  const refused = (id: number) => eve.next((p) => p.type === T.Refused && p.msgId === id, 2000);
  assert.match(((await refused(1)) as { detail: string }).detail, /not signed/);
  assert.match(((await refused(2)) as { detail: string }).detail, /another device's key/);
  eve.send(eve.message(3, { kind: 'text', text: 'eve, signed' })[0]);
  await until(() => bob.texts().includes('eve: eve, signed'), 2000, "eve's signed message at bob");
  assert.deepEqual(bob.messages.map((m) => m.text), ['eve, signed'], 'nothing refused was sequenced');
});

/** The record holding `text` in the relay's store, its bytes changed as an attacker with the disk
 * (or the relay's owner) would, its checksums made right again so the store takes it as sound. */
function alterStored(dir: string, from: string, to: string): void {
  assert.equal(Buffer.byteLength(from), Buffer.byteLength(to));
  for (const f of readdirSync(dir)) {
    const file = path.join(dir, f);
    const buf = readFileSync(file);
    const at = buf.indexOf(Buffer.from(from));
    if (at < 0) continue;
    const start = buf.lastIndexOf(RECORD_MAGIC, at);
    const bodyBytes = buf.readUInt32BE(start + 4);
    buf.write(to, at);
    const body = buf.subarray(start + HEADER_BYTES, start + HEADER_BYTES + bodyBytes);
    buf.writeUInt32BE(crc32(body), start + HEADER_BYTES + bodyBytes);
    writeFileSync(file, buf);
    return;
  }
  assert.fail(`"${from}" is not in the store`);
}

test('history altered on the relay\'s disk is shown as a placeholder in backfill, and the rest is delivered verified', async () => {
  h = new Harness();
  const store = mkdtempSync(path.join(tmpdir(), 'whatsudp-signed-'));
  dirs.push(store);
  const first = await h.relay({ store });
  const ann = await h.client(first.address(), 'ann');
  for (const text of ['hello', 'pay bob 10 euros', 'bye']) ann.client.send({ kind: 'text', text });
  await ann.client.flush(3000);
  const port = first.address().port;
  await ann.client.close();
  await first.close();
  alterStored(store, 'pay bob 10 euros', 'pay eve 99 euros');
  const second = await h.relay({ store, port });
  const carol = await h.client(second.address(), 'carol');
  await until(() => carol.messages.length === 3, 3000, 'the whole history at carol');
  assert.deepEqual(carol.messages.map((m) => [m.seq, m.kind, m.verified]), [[1, 'text', true], [2, 'placeholder', false], [3, 'text', true]]);
  const altered = carol.messages[1];
  assert.equal(altered.kind === 'placeholder' && altered.reason, "a message whose signature does not check out (altered or forged)");
  assert.ok(!carol.texts().some((t) => t.includes('eve')), 'the altered words are never shown');
});

test('a relay cannot move a signed message to another author, room or msgId: the reader shows a placeholder', () => {
  const ann = newIdentity(nodeCrypto).identity;
  const roomId = 0x1234n;
  const annSession = Buffer.alloc(8, 1);
  const text = Buffer.from('I approve the release');
  const { head } = wireOf({ kind: 'text', text: text.toString() });
  head.auth = signWire(ann.signingKey, roomId, annSession, 5, head, text);
  const meta = { seq: 1, time: 1, senderId: annSession, senderFlags: 0, name: 'ann', msgId: 5 };
  const shown = (m: Partial<typeof meta>, room = roomId) => {
    const checker = new SignatureChecker(nodeCrypto);
    const box = new Inbox(new RttEstimator(1, 25, 25), () => undefined, (f, hd, t) => checker.check(room, f.senderId, f.msgId, hd, t));
    box.reset(1);
    const [msg] = fragmentMsg({ ...meta, ...m }, head, text).map((p) => decode(encode(p)) as Msg);
    const [out] = box.accept(msg, 0);
    return out.kind === 'placeholder' ? 'placeholder' : `${out.text} (${String(out.verified)})`;
  };
  assert.equal(shown({}), 'I approve the release (true)', 'as signed');
  assert.equal(shown({ senderId: Buffer.alloc(8, 2), name: 'bob' }), 'placeholder', 'under another session');
  assert.equal(shown({ msgId: 6 }), 'placeholder', 'under another msgId');
  assert.equal(shown({}, 0x9999n), 'placeholder', 'in another room');
});
