// The relay's intake on its own, no sockets: what it decides for each Data fragment a member sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fragmentData } from '../../src/protocol/fragments';
import { PacketType, RefuseReason, type Data } from '../../src/protocol/packets';
import { TokenBucket } from '../../src/chat/limits';
import { Intake, MAX_HELD, newPending, type IntakeMember, type Step } from '../../src/chat/relay/intake';

const clientId = Buffer.from('0123456789abcdef', 'hex');
const EPOCH = 7;

/** An intake over a table of what was sequenced, which the test fills as the relay would. */
function setup(limits = { pendingMessagesPerMember: 8, pendingBytes: 1 << 20, memberPendingBytes: 1 << 20 }, rate = 1000) {
  const sequenced = new Map<number, number>();
  const intake = new Intake(limits, (_hex, msgId) => sequenced.get(msgId) ?? 0, () => EPOCH);
  const m: IntakeMember = { hex: clientId.toString('hex'), clientId, messages: new TokenBucket(rate, rate, 0), pending: newPending(1) };
  let seq = 0;
  /** Does what the relay does with a 'sequence' step, and returns the texts sequenced. */
  const run = (steps: Step[]): string[] =>
    steps.flatMap((s) => {
      if (s.kind !== 'sequence') return [];
      sequenced.set(s.ready.msgId, ++seq);
      return [s.ready.text.toString()];
    });
  return { intake, m, sequenced, run };
}

const one = (msgId: number, text: string): Data => fragmentData(clientId, msgId, { kind: 'text', text })[0];
const kinds = (steps: Step[]) => steps.map((s) => (s.kind === 'reply' ? PacketType[s.packet.type] : s.kind));

test('a member\'s next message is sequenced at once, with nothing sent back but its copy', () => {
  const { intake, m, run } = setup();
  const steps = intake.data(one(1, 'hello'), m, 0);
  assert.deepEqual(kinds(steps), ['sequence']);
  assert.deepEqual(run(steps), ['hello']);
  assert.equal(m.pending.expect, 2);
});

test('a retransmission of a sequenced message is acknowledged with its seq, not sequenced again', () => {
  const { intake, m, run } = setup();
  run(intake.data(one(1, 'hello'), m, 0));
  const again = intake.data(one(1, 'hello'), m, 0);
  assert.deepEqual(kinds(again), ['Ack']);
  assert.deepEqual(again[0].kind === 'reply' && again[0].packet, { type: PacketType.Ack, msgId: 1, fragIndex: 0, seq: 1, epoch: EPOCH });
});

test('a message that overtakes its predecessor waits for it, then both go in the sender\'s order', () => {
  const { intake, m, run } = setup();
  const early = intake.data(one(2, 'second'), m, 0);
  assert.deepEqual(kinds(early), ['Ack'], 'received (seq 0), held');
  assert.equal(early[0].kind === 'reply' && early[0].packet.type === PacketType.Ack && early[0].packet.seq, 0);
  assert.deepEqual(run(intake.data(one(2, 'second'), m, 0)), [], 'a held one resent is not sequenced either');
  assert.deepEqual(run(intake.data(one(1, 'first'), m, 0)), ['first', 'second']);
  assert.equal(m.pending.expect, 3);
});

test('a long message is reassembled: each fragment acknowledged as received, the whole sequenced once', () => {
  const { intake, m, run } = setup();
  const text = 'é'.repeat(3000); // 6000 bytes: six fragments
  const frags = fragmentData(clientId, 1, { kind: 'text', text });
  assert.ok(frags.length > 4);
  const out: string[] = [];
  for (const [i, f] of frags.entries()) {
    const steps = intake.data(f, m, 0);
    if (i < frags.length - 1) assert.deepEqual(kinds(steps), ['Ack']);
    out.push(...run(steps));
  }
  assert.deepEqual(out, [text]);
  assert.equal(intake.pendingTotal, 0, 'nothing left pending');
});

test('fragments that contradict each other are refused and reported, and the sender is not stalled', () => {
  const { intake, m, run } = setup();
  const [first] = fragmentData(clientId, 1, { kind: 'text', text: 'x'.repeat(2000) });
  intake.data(first, m, 0);
  const bad = { ...first, fragIndex: 1, fragCount: 3, head: undefined };
  const steps = intake.data(bad, m, 0);
  assert.deepEqual(kinds(steps), ['Refused', 'malformed']);
  assert.equal(steps[0].kind === 'reply' && steps[0].packet.type === PacketType.Refused && steps[0].packet.reason, RefuseReason.Malformed);
  assert.equal(intake.pendingTotal, 0, 'its bytes are given back');
  assert.deepEqual(run(intake.data(one(2, 'next'), m, 0)), ['next'], 'the next message does not wait for the refused one');
});

test('text that is not UTF-8, or blank, is refused', () => {
  const { intake, m } = setup();
  const notUtf8 = { ...one(1, 'ab'), chunk: Buffer.from([0xc3, 0x28]) };
  assert.deepEqual(kinds(intake.data(notUtf8, m, 0)), ['Refused', 'malformed']);
  const blank = intake.data(one(2, ' \u00a0\n'), m, 0);
  assert.deepEqual(kinds(blank), ['Refused']);
  assert.match(blank[0].kind === 'reply' && blank[0].packet.type === PacketType.Refused ? blank[0].packet.detail : '', /empty message/);
});

test('a member over its message rate, or over the pending limits, is told to slow down', () => {
  const rated = setup(undefined, 1);
  rated.run(rated.intake.data(one(1, 'a'), rated.m, 0));
  assert.deepEqual(rated.intake.data(one(2, 'b'), rated.m, 0), [{ kind: 'slowDown', pending: false }]);
  const tight = setup({ pendingMessagesPerMember: 1, pendingBytes: 1 << 20, memberPendingBytes: 1 << 20 });
  const long = (id: number) => fragmentData(clientId, id, { kind: 'text', text: 'y'.repeat(3000) })[0];
  assert.deepEqual(kinds(tight.intake.data(long(1), tight.m, 0)), ['Ack']);
  assert.deepEqual(tight.intake.data(long(2), tight.m, 0), [{ kind: 'slowDown', pending: true }]);
});

test('a fragment from another client id is answered NotJoined', () => {
  const { intake, m } = setup();
  const other = { ...one(1, 'hi'), clientId: Buffer.alloc(8, 1) };
  assert.deepEqual(intake.data(other, m, 0), [{ kind: 'reply', packet: { type: PacketType.NotJoined, epoch: EPOCH } }]);
});

test('held messages are bounded, and sequenced after the reassembly timeout if their predecessor never comes', () => {
  const { intake, m, run } = setup();
  for (let id = 2; id < 2 + MAX_HELD; id++) intake.data(one(id, `m${id}`), m, 0);
  assert.deepEqual(intake.data(one(2 + MAX_HELD, 'one too many'), m, 0), [], 'dropped unacknowledged: it will come again');
  assert.deepEqual(run(intake.expire(m, 5_000, 10_000)), [], 'not yet');
  const late = run(intake.expire(m, 10_001, 10_000));
  assert.equal(late.length, MAX_HELD);
  assert.deepEqual(late.slice(0, 2), ['m2', 'm3'], 'in msgId order');
});

test('a rejoin names its first unacknowledged message: ids already sequenced are skipped', () => {
  const { intake, m, run, sequenced } = setup();
  run(intake.data(one(1, 'a'), m, 0));
  run(intake.data(one(2, 'b'), m, 0));
  assert.equal(sequenced.size, 2);
  assert.deepEqual(run(intake.release(m, 1)), []);
  assert.equal(m.pending.expect, 3, 'the ack of 2 was lost, not 2 itself: 3 need not wait for it');
  assert.deepEqual(run(intake.data(one(3, 'c'), m, 0)), ['c']);
});
