// Issue 10, "De-duplication eviction": a retransmission arriving after its (sender, msgId) entry
// was evicted from the relay's de-duplication memory must not be sequenced twice, however late,
// and not after the sender rejoins naming an old msgId either.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { PER_SENDER } from '../../src/chat/relay/dedup';
import { decode, encode } from '../../src/protocol/codec';
import { fragmentData } from '../../src/protocol/fragments';
import { PacketType as T, type Packet } from '../../src/protocol/packets';
import { Harness, sleep, until } from './helpers/engine';

let h: Harness;
afterEach(() => h?.close());

test('a retransmission older than the de-duplication memory is acked, never sequenced again', async () => {
  h = new Harness();
  const relay = await h.relay({ limits: { memberMessagesPerSecond: 10000, memberBurst: 10000 } });
  const ann = await h.client(relay.address(), 'ann');
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  h.track(() => new Promise<void>((r) => sock.close(() => r())));
  const inbox: Packet[] = [];
  sock.on('message', (b) => inbox.push(decode(b)));
  const send = (p: Packet) => sock.send(encode(p), relay.address().port, '127.0.0.1');
  const clientId = randomBytes(8);
  let cookie = Buffer.alloc(0);
  const hello = (firstUnacked: number) => send({ type: T.Hello, clientId, name: 'bob', flags: 0, roomId: 0n, lastSeq: 0, firstUnacked, cookie });
  const data = (msgId: number) => fragmentData(clientId, msgId, { kind: 'text', text: `bob ${msgId}` }).forEach(send);

  hello(1);
  await until(() => inbox.some((p) => p.type === T.Retry), 2000, 'Retry');
  const retry = inbox.find((p) => p.type === T.Retry)!;
  cookie = retry.type === T.Retry ? Buffer.from(retry.cookie) : cookie;
  hello(1);
  await until(() => inbox.some((p) => p.type === T.Welcome), 2000, 'Welcome');
  const total = PER_SENDER + 60;
  for (let id = 1; id <= total; id++) {
    data(id);
    if (id % 50 === 0) await until(() => ann.texts().length === id, 3000, `bob 1..${id} sequenced`);
  }
  await until(() => ann.texts().length === total, 3000, `all ${total} sequenced`);

  // Late copies of the first messages, whose entries the newer ones have pushed out of the memory.
  for (let id = 1; id <= 40; id++) data(id);
  // And again after a rejoin that names msgId 1 as its oldest unacknowledged (a lie, or a very late Hello).
  hello(1);
  for (let id = 1; id <= 40; id++) data(id);
  await sleep(300);
  assert.equal(relay.stats().headSeq, total, 'nothing sequenced twice');
  assert.equal(ann.texts().length, total, 'ann saw each of bob\'s messages once');
  const acks = inbox.filter((p) => p.type === T.Ack && p.msgId <= 40);
  assert.ok(acks.length >= 40, `the late copies were answered (${acks.length} acks), so a sender stops resending`);
  // The room still takes bob's next message.
  data(total + 1);
  await until(() => ann.texts().length === total + 1, 2000, 'bob\'s next message');
});
