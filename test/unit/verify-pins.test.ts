// Verify in the pins (issue 8): a key marked verified under a name is reported as verified for the
// sessions that show it, a verified name that comes with another key is flagged and NOT verified,
// and taking the mark back (Remove Verification, --unmark) leaves the key known, only unverified.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemberPins, MemoryStore, NameWatch, newIdentity, updateMemberPins, type NameConflict } from '../../src/chat/identity';
import type { Member } from '../../src/chat';
import { nodeCrypto } from '../../src/protocol/crypto';
import { safetyCodeRows } from '../../src/common/keys';

const c = nodeCrypto;
const device = () => newIdentity(c).identity;

function member(id: string, name: string, key: Uint8Array): Member {
  return { memberId: 1, id, name, presence: 'online', key: Buffer.from(key).toString('base64url'), fingerprint: newIdentity(c).identity.fingerprint };
}

describe('MemberPins: verify and unverify', () => {
  it('lists the keys of a name with their marks, and unverify keeps the key as seen', () => {
    const [laptop, desktop, other] = [device(), device(), device()];
    const pins = new MemberPins();
    pins.pin('ann', laptop.publicKey);
    pins.pin('bob', other.publicKey);
    pins.verify('ann', desktop.publicKey);
    assert.deepEqual(pins.keysOf(c, 'ann').map((k) => [k.fingerprint, k.verified]), [[laptop.fingerprint, false], [desktop.fingerprint, true]]);
    assert.deepEqual(pins.names(), ['ann', 'bob']);

    const reread = new MemberPins(pins.toText());
    assert.equal(reread.unverify('ann', desktop.publicKey), true);
    assert.equal(reread.unverify('ann', desktop.publicKey), false, 'once');
    assert.equal(reread.unverify('bob', other.publicKey), false, 'bob was never verified');
    assert.deepEqual(new MemberPins(reread.toText()).keysOf(c, 'ann').map((k) => k.verified), [false, false]);
    assert.equal(new MemberPins(reread.toText()).check(c, 'ann', desktop.publicKey).kind, 'known', 'still known');
  });

  it('keeps lines it does not understand when it marks', async () => {
    const ann = device();
    const store = new MemoryStore('# a comment\nfuture-format line\n');
    await updateMemberPins(store, (p) => {
      p.verify('ann', ann.publicKey);
      return true;
    });
    const text = (await store.get())!;
    assert.match(text, /^# a comment\nfuture-format line\ned25519:[A-Za-z0-9_-]{43} verified ann\n$/);
  });
});

describe('NameWatch: verified sessions', () => {
  it('marks the sessions whose key is verified under their name, tells when that changes, never a new key under a verified name, and verifying the new key settles its flag', async () => {
    const [ann, impostor] = [device(), device()];
    const store = new MemoryStore();
    const conflicts: NameConflict[] = [];
    let changes = 0;
    const watch = new NameWatch(c, store, 'self', (cs) => conflicts.push(...cs), (err) => assert.fail(err), () => changes++);
    const annSession = member('a1', 'ann', ann.publicKey);

    watch.check([annSession]);
    await watch.settled();
    assert.deepEqual([...watch.verified], [], 'first sight is trust, not verification');

    await updateMemberPins(store, (p) => {
      p.verify('ann', ann.publicKey);
      return true;
    });
    watch.check([annSession]);
    await watch.settled();
    assert.deepEqual([...watch.verified], ['a1']);
    assert.equal(changes, 1);

    // Someone else calls themselves ann: flagged as a new key, and not verified.
    const fake = member('f1', 'ann', impostor.publicKey);
    watch.check([annSession, fake]);
    await watch.settled();
    assert.deepEqual([...watch.verified], ['a1']);
    assert.deepEqual(conflicts.map((x) => [x.member.id, x.pinned.map((p) => p.verified)]), [['f1', [true]]]);
    assert.equal(watch.flagged.has('f1'), true);
    assert.equal(changes, 1, 'nothing changed for the verified sessions');

    // The verified key under another name is not shown as verified under that name.
    watch.check([member('a2', 'annie', ann.publicKey)]);
    await watch.settled();
    assert.deepEqual([...watch.verified], []);
    assert.equal(changes, 2);

    await updateMemberPins(store, (p) => p.unverify('ann', ann.publicKey));
    watch.check([annSession]);
    await watch.settled();
    assert.deepEqual([...watch.verified], []);

    // The new key turns out to be ann's new laptop: verifying it settles the flag.
    await updateMemberPins(store, (p) => {
      p.verify('ann', impostor.publicKey);
      return true;
    });
    const before: number = changes;
    watch.check([annSession, fake]);
    await watch.settled();
    assert.deepEqual([...watch.verified], ['f1']);
    assert.equal(watch.flagged.has('f1'), false, 'no longer a new key');
    assert.equal(changes, before + 1);
    assert.equal(conflicts.length, 1, 'and never reported again');
  });
});

describe('NameWatch: marking a key while a check runs', () => {
  it('keeps both: the new member the check pins and the key Verify marks', async () => {
    const [ann, carol] = [device(), device()];
    let text = new MemberPins();
    text.pin('ann', ann.publicKey);
    let stored = text.toText();
    // A slow file: what a read returns is what the file held when the read began, a moment before.
    const store = {
      where: 'slow',
      get: () => {
        const then = stored;
        return new Promise<string>((resolve) => setTimeout(() => resolve(then), 20));
      },
      set: (v: string) => Promise.resolve(void (stored = v)),
    };
    const watch = new NameWatch(c, store, 'self', () => undefined, (err) => assert.fail(err));
    watch.check([member('c1', 'carol', carol.publicKey)]);
    await watch.update((p) => {
      p.verify('ann', ann.publicKey);
      return true;
    }, [member('a1', 'ann', ann.publicKey)]);
    text = new MemberPins(stored);
    assert.equal(text.check(c, 'carol', carol.publicKey).kind, 'known', 'the check pinned carol');
    assert.deepEqual(text.keysOf(c, 'ann').map((k) => k.verified), [true], 'and the mark was not written over');
    assert.deepEqual([...watch.verified], ['a1']);
  });
});

describe('safety code rows', () => {
  it('are three rows of four groups, for reading aloud', () => {
    const code = Array.from({ length: 12 }, (_, i) => String(i).repeat(5).slice(0, 5)).join(' ');
    assert.deepEqual(safetyCodeRows(code), ['00000 11111 22222 33333', '44444 55555 66666 77777', '88888 99999 10101 11111']);
  });
});
