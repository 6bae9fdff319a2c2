// Issue 8, "a client can't be wedged by what a relay says": a Gone naming the whole seq space (11
// bytes) once froze a client's event loop for 39 s and left it deaf, its resume point past every seq
// the room will ever have. Here the relay itself, inside the client's protocol 2 session (the only
// one whose word a client takes), sends one.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { decode, encode } from '../../src/protocol/codec';
import { PacketType as T, type Packet } from '../../src/protocol/packets';
import { ChatClient, type Relay } from '../../src/chat';
import type { MemberState } from '../../src/chat/relay/members';
import type { RelaySessions } from '../../src/chat/relay/sessions';
import { FAST_CLIENT, Harness, Recorder, until } from './helpers/engine';

let h: Harness;
afterEach(() => h?.close());

/** The relay's own session with a member, to say something as the relay: protocol 2 seals every
 * datagram, so only the relay (a malicious one, here) can say anything a client will act on. */
function relayInside(relay: Relay) {
  const r = relay as unknown as { directory: { client(hex: string): MemberState | undefined }; sessions: RelaySessions; socket: dgram.Socket };
  return {
    sessions: r.sessions,
    /** Sends `p` to the member `clientId`, sealed in its session, from the relay's socket. */
    send(clientId: string, p: Packet): void {
      const m = r.directory.client(clientId)!;
      r.socket.send(r.sessions.seal(m.session!, encode(p)), m.port, m.host);
    },
  };
}

test('a Gone for the whole seq space, as if from the relay, changes nothing: the client goes on delivering', async () => {
  h = new Harness();
  const relay = await h.relay();
  const inside = relayInside(relay);
  const ann = await h.client(relay.address(), 'ann');
  const bob = await h.client(relay.address(), 'bob');
  bob.client.send({ kind: 'text', text: 'one' });
  await until(() => ann.texts().includes('bob: one'), 5000, 'ann gets "one"');
  inside.send(ann.client.clientId, { type: T.Gone, fromSeq: 1, toSeq: 2 ** 32 - 1 });
  inside.send(ann.client.clientId, { type: T.Gone, fromSeq: 2, toSeq: 2 ** 32 - 1 });
  bob.client.send({ kind: 'text', text: 'two' });
  bob.client.send({ kind: 'text', text: 'three' });
  await until(() => ann.texts().includes('bob: three'), 5000, 'ann gets the messages sent after the forged Gone');
  assert.deepEqual(ann.texts(), ['bob: one', 'bob: two', 'bob: three']);
  assert.deepEqual(ann.lost, [], 'nothing reported lost: ann asked for none of those seqs');
});

test("a Welcome that does not add up (a start past the relay's head) is ignored and reported; the join goes on", async () => {
  h = new Harness();
  const relay = await h.relay();
  const bob = await h.client(relay.address(), 'bob');
  bob.client.send({ kind: 'text', text: 'before ann' });
  await until(() => bob.texts().length === 1, 5000, 'bob sees his message');
  let forged = 0;
  const { sessions } = relayInside(relay);
  const answer = sessions.answer.bind(sessions);
  sessions.answer = (session, prefix, inner) => {
    const p = decode(inner);
    if (p.type !== T.Welcome || forged > 0) return answer(session, prefix, inner);
    forged++;
    return answer(session, prefix, encode({ ...p, fromSeq: p.headSeq + 1000 }));
  };
  const warnings: string[] = [];
  const client = new ChatClient({ server: relay.address(), name: 'ann', timers: FAST_CLIENT });
  client.on('warning', (e) => warnings.push(e.message));
  const ann = new Recorder(client);
  h.track(() => client.close());
  await client.start();
  await until(() => ann.texts().includes('bob: before ann'), 5000, "ann's backfill, from the relay's real Welcome");
  assert.equal(forged, 1);
  assert.ok(warnings.some((w) => /Ignored a Welcome that does not add up/.test(w)), warnings.join('\n'));
  bob.client.send({ kind: 'text', text: 'after' });
  await until(() => ann.texts().includes('bob: after'), 5000, 'ann gets what is sent after');
  assert.deepEqual(ann.lost, []);
});
