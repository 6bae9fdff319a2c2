// Verify in the extension (issue 8), the parts that run without VS Code: whom the command offers, what
// the safety code step says and offers, the member list's marks, and the session marking a member
// verified once their key is (and never a new key under that name).
import { after, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Member } from '../../src/chat';
import type { MemberView } from '../../src/common/messages';
import { newIdentity } from '../../src/chat/identity';
import { ChatSession } from '../../src/extension/chatSession';
import { MemoryHistory } from '../../src/extension/history';
import { candidateItem, candidates, codeStep, doneText } from '../../src/extension/verifyItems';
import { memberViews } from '../../src/extension/views';
import { keyStatus } from '../../src/webview/people';
import { nodeCrypto } from '../../src/protocol/crypto';
import { safetyCode } from '../../src/protocol/fingerprint';
import { FAST_CLIENT, Harness, until } from './helpers/engine';

const c = nodeCrypto;
const device = () => newIdentity(c).identity;
const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64url');
const member = (id: string, name: string, d?: ReturnType<typeof device>): Member => ({
  memberId: 1, id, name, presence: 'online', ...(d ? { key: b64(d.publicKey), fingerprint: d.fingerprint } : {}),
});

describe('whom Verify offers', () => {
  const [me, ann, bob] = [device(), device(), device()];
  const room = [member('s0', 'me', me), member('s1', 'ann', ann), member('s2', 'ann', ann), member('s3', 'bob', bob), member('s4', 'me', me), member('s5', 'legacy')];

  it('one row per name and key (two windows of ann are one), never you or your other windows, never a member without a key', () => {
    const list = candidates(room, 's0', b64(me.publicKey), new Set(['s1', 's2']), new Set());
    assert.deepEqual(list.map((x) => [x.name, x.sessions, x.verified]), [['ann', ['s1', 's2'], true], ['bob', ['s3'], false]]);
  });

  it('rows show the short key and the mark; a flagged name says new key', () => {
    const [annRow, bobRow] = candidates(room, 's0', b64(me.publicKey), new Set(['s1', 's2']), new Set(['s3']));
    assert.deepEqual(candidateItem(annRow), { label: 'ann', description: `key ${ann.fingerprint.slice(0, 4)} ${ann.fingerprint.slice(4, 8)} ${ann.fingerprint.slice(8, 12)}`, detail: '$(verified-filled) verified' });
    assert.match(candidateItem(bobRow).detail, /new key/);
    assert.equal(candidateItem({ ...bobRow, name: 'bob\u202e\u0007' }).label.includes('\u202e'), false, 'peer text made plain');
  });

  it('the code step shows the code in three groups of four, the harmless choice first, and un-verify for a verified key', () => {
    const [annRow] = candidates(room, 's0', b64(me.publicKey), new Set(), new Set());
    const code = safetyCode(c, me.publicKey, ann.publicKey);
    const step = codeStep(annRow, code);
    const groups = code.split(' ');
    assert.equal(step.title, `${groups.slice(0, 4).join(' ')} · ${groups.slice(4, 8).join(' ')} · ${groups.slice(8).join(' ')}`);
    assert.match(step.placeholder, /Your safety code with ann, above: read it aloud together/);
    assert.deepEqual(step.items.map((i) => [i.label, i.choice]), [['Not Now', 'keep'], ['Mark as Verified', 'mark']]);
    const verified = codeStep({ ...annRow, verified: true }, code);
    assert.deepEqual(verified.items.map((i) => [i.label, i.choice]), [['Keep Verified', 'keep'], ['Remove Verification', 'unmark']]);
    assert.match(doneText(annRow, 'mark')!, /ann's key \(.{14}\) is marked as verified/);
    assert.equal(doneText(annRow, 'keep'), undefined);
  });
});

describe('the member list marks', () => {
  it('verified only without a new key; Verify for others with a key, not for you or a legacy sender', () => {
    const fp = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst';
    const m = (over: Partial<MemberView>): MemberView => ({ memberId: 1, id: '00000000000000aa', name: 'ann', presence: 'online', self: false, fingerprint: fp, ...over });
    assert.deepEqual(keyStatus(m({ verified: true })), { verified: true, newKey: false, canVerify: true });
    assert.deepEqual(keyStatus(m({ verified: true, newKey: true })), { verified: false, newKey: true, canVerify: true });
    assert.equal(keyStatus(m({ self: true })).canVerify, false);
    assert.equal(keyStatus(m({}), fp).canVerify, false, 'your own other window');
    assert.equal(keyStatus(m({}), 'another key').canVerify, true);
    assert.equal(keyStatus(m({ fingerprint: undefined })).canVerify, false);
    assert.equal(keyStatus(m({ id: '0000000000000000', fingerprint: undefined })).canVerify, false);
  });

  it('the host never sends verified for a session flagged with a new key', () => {
    const ann = device();
    const views = memberViews([member('s1', 'ann', ann), member('s2', 'ann', device())], 'self', new Set(['s2']), new Set(['s1', 's2']));
    assert.deepEqual(views.map((v) => [v.id, v.verified, v.newKey]), [['s1', true, undefined], ['s2', undefined, true]]);
  });
});

const h = new Harness();
after(() => h.close());

test('the session shows a member verified once their key is marked, a new key under that name not, until that key is verified too', async () => {
  const relay = await h.relay();
  let pinned = '';
  const memberPins = { where: 'memory', get: () => Promise.resolve(pinned || undefined), set: (v: string) => Promise.resolve(void (pinned = v)) };
  const quiet = { info: () => {}, warn: () => {} };
  const session = await ChatSession.open({ server: relay.address(), name: 'alice', storage: new MemoryHistory(), log: quiet, maxMessages: 100, memberPins, timers: FAST_CLIENT });
  h.track(() => session.dispose());
  let members: MemberView[] = [];
  session.on('members', (list) => (members = list));
  await session.connect();
  const annKey = device();
  const ann = await h.client(relay.address(), 'ann', { identity: annKey });
  await until(() => pinned.includes(' seen ann'), 5000, 'ann pinned on first sight');
  const ctx = session.verifyContext();
  assert.deepEqual(ctx.members.find((m) => m.id === ann.client.clientId)?.key, b64(annKey.publicKey));
  assert.equal(members.find((m) => m.id === ann.client.clientId)?.verified, undefined, 'first sight is not verification');

  await session.updatePins((p) => {
    p.verify('ann', annKey.publicKey);
    return true;
  });
  await until(() => members.find((m) => m.id === ann.client.clientId)?.verified === true, 5000, 'ann shown verified');
  assert.equal(session.members.find((m) => m.id === ann.client.clientId)?.verified, true, 'and in a snapshot');

  const laptop = device();
  const impostor = await h.client(relay.address(), 'ann', { identity: laptop });
  await until(() => members.some((m) => m.id === impostor.client.clientId && m.newKey === true), 5000, 'the other ann flagged');
  assert.notEqual(members.find((m) => m.id === impostor.client.clientId)?.verified, true, 'a new key under a verified name is not verified');
  assert.equal(members.find((m) => m.id === ann.client.clientId)?.verified, true, 'the real ann still is');

  await session.updatePins((p) => p.unverify('ann', annKey.publicKey));
  await until(() => members.find((m) => m.id === ann.client.clientId)?.verified === undefined, 5000, 'the mark taken back');

  // The new key was ann's new laptop after all: verifying it settles the flag.
  await session.updatePins((p) => {
    p.verify('ann', laptop.publicKey);
    return true;
  });
  await until(() => {
    const m = members.find((x) => x.id === impostor.client.clientId);
    return m?.verified === true && m.newKey === undefined;
  }, 5000, 'the verified new key no longer flagged');
});
