// What members of one room must agree on, whichever relay of a cluster they are on (issue 15): used by
// cluster-relay and cluster-failover tests.
import assert from 'node:assert/strict';
import type { RoomMessage } from '../../../src/chat';
import { until, type Recorder } from './engine';

/** What a member shows for one delivered message. */
const shown = (m: RoomMessage): string => `${m.seq} ${m.sender.name}: ${m.text}`;

/**
 * What every member must agree on: `total` messages, each (sender, text) once, seqs rising, one message
 * per seq and the same at every member, and each sender's messages in the order they were sent.
 */
export function checkSameRoom(members: Recorder[], sent: Map<string, string[]>, total: number): void {
  const reference = members[0].messages.map(shown);
  for (const r of members) {
    const name = r.client.name;
    assert.equal(r.messages.length, total, `${name} got ${r.messages.length} of ${total}`);
    const keys = r.messages.map((m) => `${m.sender.name}: ${m.text}`);
    assert.equal(new Set(keys).size, total, `${name}: no message delivered twice`);
    assert.ok(r.messages.every((m, i) => i === 0 || m.seq > r.messages[i - 1].seq), `${name}: seqs rise, in order`);
    assert.deepEqual(r.messages.map(shown), reference, `${name}: the same message under each seq as ${members[0].client.name}`);
    for (const [sender, texts] of sent) {
      assert.deepEqual(r.messages.filter((m) => m.sender.name === sender).map((m) => m.text), texts, `${name}: ${sender}'s messages, all, in the order sent`);
    }
    assert.deepEqual(r.lost, [], `${name}: nothing reported lost`);
  }
}

/** `until`, its failure saying what `now` tells at the time it fails (not when the wait began). */
export async function within(check: () => boolean, ms: number, what: string, now: () => string | Promise<string>): Promise<void> {
  await until(check, ms, what).catch(async (e: Error) => {
    throw new Error(`${e.message} (${await now()})`);
  });
}
