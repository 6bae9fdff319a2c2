// Issue 10, "Memory caps": partial and held messages are capped in bytes per member and in total,
// checked on every fragment, and one member's backlog does not stall another's messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fragmentData } from '../../src/protocol/fragments';
import type { Data } from '../../src/protocol/packets';
import { TokenBucket } from '../../src/chat/limits';
import { FRAGMENT_COST, Intake, newPending, type IntakeMember, type Step } from '../../src/chat/relay/intake';

const KiB = 1024;

function member(n: number): IntakeMember {
  const clientId = Buffer.alloc(8, n);
  return { hex: clientId.toString('hex'), clientId, messages: new TokenBucket(1e6, 1e6, 0), pending: newPending(1) };
}

const frags = (m: IntakeMember, msgId: number, bytes: number): Data[] => fragmentData(m.clientId, msgId, { kind: 'text', text: 'z'.repeat(bytes) });
const sequenced = (steps: Step[]) => steps.filter((s) => s.kind === 'sequence').map((s) => (s.kind === 'sequence' ? s.ready.msgId : 0));

/** What a member's partial and held messages really hold: their text and a FRAGMENT_COST each. */
function held(m: IntakeMember): number {
  let n = 0;
  for (const e of m.pending.assemblies?.values() ?? []) n += e.asm.bytes;
  for (const h of m.pending.held?.values() ?? []) n += h.text.length + FRAGMENT_COST;
  return n;
}

test('partial messages never pass the relay-wide cap, however many are started before it fills', () => {
  const cap = 64 * KiB;
  const intake = new Intake({ pendingMessagesPerMember: 8, pendingBytes: cap, memberPendingBytes: 1 << 30 }, () => 0, () => 1);
  const m = member(1);
  // Eight 60 KiB messages, each begun while the total is low, then all their fragments but the last.
  const msgs = Array.from({ length: 8 }, (_, i) => frags(m, i + 2, 60 * KiB));
  for (let i = 0; i < 50; i++) {
    for (const f of msgs) if (i < f.length - 1) intake.data(f[i], m, 0);
    assert.ok(intake.pendingTotal <= cap, `${intake.pendingTotal} bytes pending against a cap of ${cap}`);
    assert.ok(held(m) <= cap, `${held(m)} bytes really held against a cap of ${cap}`);
  }
});

test('messages held for an earlier one are capped in bytes per member', () => {
  const cap = 16 * KiB;
  const intake = new Intake({ pendingMessagesPerMember: 8, pendingBytes: 1 << 30, memberPendingBytes: cap }, () => 0, () => 1);
  const m = member(1);
  // msgId 1 never comes: 2.. would all wait for it.
  for (let id = 2; id < 60; id++) intake.data(frags(m, id, 1100)[0], m, 0);
  assert.ok(held(m) <= cap, `${held(m)} bytes held against a per-member cap of ${cap}`);
  assert.ok((m.pending.held?.size ?? 0) >= 5, 'some are held: the cap is in bytes, not a refusal of all');
});

test('one member at its cap does not stall another member\'s 3 KB message, and the counts come back to 0', () => {
  const intake = new Intake({ pendingMessagesPerMember: 8, pendingBytes: 64 * KiB, memberPendingBytes: 16 * KiB }, () => 0, () => 1);
  const hog = member(1);
  const ann = member(2);
  for (let id = 1; id <= 8; id++) for (const f of frags(hog, id, 60 * KiB).slice(0, -1)) intake.data(f, hog, 0);
  const out: number[] = [];
  for (const f of frags(ann, 1, 3 * KiB)) out.push(...sequenced(intake.data(f, ann, 0)));
  assert.deepEqual(out, [1], 'ann\'s message is sequenced at once');
  intake.forgetAll(hog);
  assert.equal(intake.pendingTotal, 0, 'nothing counted once all is forgotten');
  assert.equal(hog.pending.bytes ?? 0, 0);
});
