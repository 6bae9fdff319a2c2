// Client failover in a cluster (issue 15), against a real nats-server: a member learns the room's other
// relay from its relay (packet Relays), and when its relay goes silent in the middle of a conversation
// it continues on the other one: nothing lost, nothing shown twice, in order, for it and for a member
// on the other relay. A learnt relay that presents another key than the one it was named with is
// refused as a changed key is.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError, Relay } from '../../src/chat';
import { MemoryStore } from '../../src/chat/identity';
import { seqsInOrder, sleep, until, type Recorder } from './helpers/engine';
import { usingNats } from './helpers/using-nats';
import { startRelay, stopAll } from './helpers/cli-proc';

describe('client failover across a cluster', () => {
  const { h, nats } = usingNats(() => stopAll());

  const where = (r: Relay) => `127.0.0.1:${r.address().port}`;

  /** A member of `r` that has learnt `other` from it (a relay tells its members after each Welcome;
   * one that started a moment before the other may not know it yet: the member rejoins, bounded). */
  async function memberLearning(r: Relay | { host: string; port: number }, other: Relay, name: string): Promise<Recorder> {
    const at = r instanceof Relay ? r.address() : r;
    const rec = await h.client(at, name, { wantsRoster: false, timers: { maxProbes: 6 } });
    for (let i = 0; i < 20 && !rec.client.relays.includes(where(other)); i++) {
      await sleep(250);
      if (!rec.client.relays.includes(where(other))) await rec.client.rename(name);
    }
    assert.equal(rec.client.relays[0], `127.0.0.1:${at.port}`);
    assert.ok(rec.client.relays.includes(where(other)), `${name} learnt the other relay`);
    return rec;
  }

  it('the relays come with the first Welcome even when the relay key is checked against a pin file that is slow to read', async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    await memberLearning(r1, r2, 'probe'); // relay 1 knows relay 2 now
    // The Relays comes right after the Welcome, while the client still reads its pins: held, then read.
    class SlowPins extends MemoryStore {
      override async get(): Promise<string | undefined> {
        await sleep(100);
        return super.get();
      }
    }
    const ann = await h.client(r1.address(), 'ann', { wantsRoster: false, relayPins: new SlowPins() });
    await until(() => ann.client.relays.includes(where(r2)), 3000, 'ann to learn relay 2 from her first Welcome').catch((err: Error) => {
      throw new Error(`${err.message}: relays ${ann.client.relays.join(', ')}, ${ann.client.unauthenticated} dropped as unauthenticated`);
    });
    assert.equal(ann.client.unauthenticated, 0, 'nothing the relay sealed for her was dropped');
    await Promise.all([r1.close(), r2.close()]); // not candidates for the tests after this one
  });

  it('a learnt relay presenting another key is refused as a changed key, never joined', async () => {
    const cluster = { servers: nats.urls };
    const r1 = await h.relay({ cluster });
    const r2 = await h.relay({ cluster });
    const ann = await memberLearning(r1, r2, 'ann');
    const errors: Error[] = [];
    ann.client.on('warning', (e) => errors.push(e));
    // Another relay (another key) takes relay 2's address; then relay 1 goes silent.
    const port = r2.address().port;
    await r2.close();
    const impostor = await h.relay({ port });
    await r1.close();
    const statesBefore = ann.states.length;
    ann.client.send({ kind: 'text', text: 'for the room only' });
    await until(() => errors.some((e) => e instanceof ChatError && e.code === 'RELAY_KEY_CHANGED'), 15_000, 'the refusal of the impostor').catch((err: Error) => {
      throw new Error(`${err.message}: relays ${ann.client.relays.join(', ')}; states ${ann.states.join(',')}; warnings ${errors.map((e) => e.message).join(' | ')}`);
    });
    const refusal = errors.find((e) => e instanceof ChatError && e.code === 'RELAY_KEY_CHANGED')!;
    assert.match(refusal.message, new RegExp(`relay at 127\\.0\\.0\\.1:${port} presents another key than the one the relay that named it names`));
    await sleep(500);
    // The impostor answered her Hello (that is how its key is seen) but got nothing in its session.
    assert.equal(impostor.stats().headSeq, 0, 'no message of ann went to the impostor');
    assert.ok(!ann.states.slice(statesBefore).includes('connected'), `never in at the impostor: ${ann.states.join(',')}`);
    assert.equal(ann.client.pending().length, 1, 'her message waits for the room, delivered nowhere');
    assert.ok(!ann.client.relays.includes(`127.0.0.1:${port}`), 'the impostor is no longer a candidate');
  });

  it('its relay killed (-9) mid-conversation: the member goes on at the other relay, 0 lost, 0 twice, in order', async () => {
    const cluster = { servers: nats.urls };
    // Relay 1 is a process of its own, so it can die as a crashed relay does: without a word.
    const { relay: r1, address } = await startRelay(['--cluster', nats.urls[0], '--heartbeat-ms', '300']);
    const r1Where = address;
    const r2 = await h.relay({ cluster });
    const ann = await memberLearning({ host: '127.0.0.1', port: Number(address.split(':')[1]) }, r2, 'ann');
    const bob = await h.client(r2.address(), 'bob', { wantsRoster: false });
    const warnings: string[] = [];
    ann.client.on('warning', (e) => warnings.push(e.message));
    const sent: string[] = [];
    const say = (n: number) => {
      for (let i = 0; i < n; i++) {
        const text = `m${sent.length}`;
        sent.push(`ann: ${text}`);
        ann.client.send({ kind: 'text', text });
      }
    };
    say(30);
    await until(() => ann.messages.length >= 20, 10_000, 'the first messages through relay 1');
    r1.signal('SIGKILL'); // mid-conversation: some of the 30 may be unacknowledged
    const stoppedAt = Date.now();
    say(30);
    await until(() => warnings.some((w) => w.includes('moved to')), 15_000, 'ann to move to relay 2');
    const movedMs = Date.now() - stoppedAt;
    assert.ok(warnings.includes(`relay ${r1Where} is silent; moved to ${where(r2)}`), warnings.join(' | '));
    await until(() => ann.messages.length >= 60 && bob.messages.length >= 60, 15_000, 'all 60 at ann and at bob').catch((err: Error) => {
      throw new Error(`${err.message}: ann ${ann.messages.length} (${ann.client.pending().length} pending), bob ${bob.messages.length}, head ${r2.stats().headSeq}; ann saw ${ann.texts().join(',')}; warnings ${warnings.join(' | ')}`);
    });
    await sleep(300); // a duplicate would come now
    for (const [who, rec] of [['ann', ann], ['bob', bob]] as const) {
      assert.deepEqual(rec.texts(), sent, `${who}: every message once, in the order sent`);
      assert.ok(seqsInOrder(rec.messages), `${who}: seqs without gaps`);
      assert.deepEqual(rec.lost, [], `${who}: nothing lost`);
    }
    assert.equal(r2.stats().headSeq, 60, 'the room holds 60 messages, none twice');
    assert.deepEqual(await ann.client.flush(1000), []);
    console.log(`# failover: moved ${movedMs} ms after the relay stopped`);
  });
});
