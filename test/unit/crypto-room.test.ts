// Sealed rooms: content only members can open, bound to its room, author and msgId; join proofs the
// relay can check but not make; and the invite link that carries the secret, with one clear error
// for each way a link can be broken.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNobleCrypto, nodeCrypto, type Crypto } from '../../src/protocol/crypto';
import { fingerprint } from '../../src/protocol/fingerprint';
import { formatInvite, formatVscodeInvite, InviteError, parseInvite, type Invite, type InviteErrorCode } from '../../src/protocol/invite';
import { checkJoinProof, joinProof, newRoomSecret, ROOM_SEAL_OVERHEAD, RoomKey, roomVerifier, sealedEpoch, type RoomHeader } from '../../src/protocol/sealed-room';

let noble: Crypto;
before(async () => {
  noble = await loadNobleCrypto();
});

const c = nodeCrypto;
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);
const header: RoomHeader = { roomId: 42n, author: new Uint8Array(8).fill(1), msgId: 9 };

describe('sealed room content', () => {
  const secret = newRoomSecret(c);

  test('sealed by one member, opened by another (node:crypto and @noble), never in clear', () => {
    const sealed = new RoomKey(c, secret, 0).seal(header, text('the plan is in plan.md'));
    assert.equal(sealed.length, 22 + ROOM_SEAL_OVERHEAD);
    assert.ok(!Buffer.from(sealed).includes('plan'));
    assert.equal(str(new RoomKey(c, secret, 0).open(header, sealed)), 'the plan is in plan.md');
    assert.equal(str(new RoomKey(noble, secret, 0).open(header, sealed)), 'the plan is in plan.md');
    assert.equal(sealedEpoch(sealed), 0);
  });

  test('nonces are random: the same content sealed twice differs (never derived from msgId)', () => {
    const k = new RoomKey(c, secret, 0);
    const a = k.seal(header, text('same'));
    const b = k.seal(header, text('same'));
    assert.notDeepEqual(a, b);
    assert.notDeepEqual(a.subarray(4, 16), b.subarray(4, 16));
  });

  test('moved to another room, author or msgId, changed, or under another epoch or secret: does not open', () => {
    const k = new RoomKey(c, secret, 3);
    const sealed = k.seal(header, text('x'));
    assert.equal(k.open({ ...header, roomId: 43n }, sealed), undefined, 'room');
    assert.equal(k.open({ ...header, author: new Uint8Array(8).fill(2) }, sealed), undefined, 'author');
    assert.equal(k.open({ ...header, msgId: 10 }, sealed), undefined, 'msgId');
    assert.equal(new RoomKey(c, secret, 4).open(header, sealed), undefined, 'epoch');
    assert.equal(new RoomKey(c, newRoomSecret(c), 3).open(header, sealed), undefined, 'secret');
    const relabelled = Uint8Array.from(sealed);
    relabelled[3] = 4; // claims epoch 4
    assert.equal(new RoomKey(c, secret, 4).open(header, relabelled), undefined, 'epoch byte');
    for (const i of [5, 20, sealed.length - 1]) {
      const bad = Uint8Array.from(sealed);
      bad[i] ^= 1;
      assert.equal(k.open(header, bad), undefined, `byte ${i}`);
    }
    assert.equal(k.open(header, sealed.subarray(0, ROOM_SEAL_OVERHEAD - 1)), undefined, 'short');
    assert.equal(str(k.open(header, sealed)), 'x');
  });
});

describe('sealed room join proofs', () => {
  const secret = newRoomSecret(c);
  const verifier = roomVerifier(c, secret);
  const device = c.signingKey(c.random(32)).publicKey;
  const th = c.random(32);

  test("a member's proof checks against the relay's verifier, on either backend", () => {
    assert.equal(verifier.length, 32);
    assert.deepEqual([...roomVerifier(noble, secret)], [...verifier]);
    assert.ok(checkJoinProof(c, verifier, th, device, joinProof(c, secret, th, device)));
    assert.ok(checkJoinProof(noble, verifier, th, device, joinProof(noble, secret, th, device)));
  });

  test('a proof from another session or device, or without the secret, is refused', () => {
    const proof = joinProof(c, secret, th, device);
    assert.equal(checkJoinProof(c, verifier, c.random(32), device, proof), false, 'replayed into another session');
    assert.equal(checkJoinProof(c, verifier, th, c.random(32), proof), false, 'another device');
    assert.equal(checkJoinProof(c, verifier, th, device, joinProof(c, newRoomSecret(c), th, device)), false, 'another secret');
    assert.equal(checkJoinProof(c, new Uint8Array(31), th, device, proof), false, 'a broken verifier');
  });

  test('the verifier opens nothing: it is not the content key', () => {
    const sealed = new RoomKey(c, secret, 0).seal(header, text('x'));
    assert.equal(new RoomKey(c, verifier, 0).open(header, sealed), undefined);
  });
});

describe('invite links', () => {
  const secret = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
  const fp = fingerprint(c, c.signingKey(new Uint8Array(32).fill(5)).publicKey);
  const invite: Invite = { relays: [{ host: '192.168.1.20', port: 2410 }, { host: 'fe80::1', port: 2411 }, { host: 'relay.lan', port: 9 }], room: 'team-a', fingerprints: [fp], secret };

  test('the canonical link and the vscode:// link carry the same invite', () => {
    const link = formatInvite(invite);
    assert.equal(link, `whatsudp://192.168.1.20:2410,[fe80::1]:2411,relay.lan:9/team-a?fp=${fp}#v1.AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK-2vcTL0tk`);
    assert.deepEqual(parseInvite(link), invite);
    const vs = formatVscodeInvite(invite, 'vscode-insiders');
    assert.match(vs, /^vscode-insiders:\/\/whatsudp\.whatsudp\/join\?relays=192\.168\.1\.20%3A2410%2C%5Bfe80%3A%3A1%5D%3A2411%2Crelay\.lan%3A9&room=team-a&fp=/);
    assert.deepEqual(parseInvite(vs), invite);
  });

  test('no fingerprint is allowed (trust on first use); fingerprints may be written in groups and capitals', () => {
    assert.deepEqual(parseInvite(formatInvite({ ...invite, fingerprints: [] })).fingerprints, []);
    const grouped = fp.toUpperCase().match(/.{1,4}/g)!.join('-');
    assert.deepEqual(parseInvite(`whatsudp://h:1/r?fp=${grouped}#v1.${Buffer.from(secret).toString('base64url')}`).fingerprints, [fp]);
  });

  const good = `v1.${Buffer.from(secret).toString('base64url')}`;
  const broken: Array<[string, InviteErrorCode, RegExp]> = [
    ['https://example.com/x', 'not-an-invite', /not a WhatsUDP invite/],
    ['whatsudp://relay.lan:2410', 'not-an-invite', /not a WhatsUDP invite/],
    [`whatsudp:///room#${good}`, 'bad-address', /names no relay/],
    [`whatsudp://relay.lan/room#${good}`, 'bad-address', /"relay.lan" in the invite is not a relay address/],
    [`whatsudp://relay.lan:0/room#${good}`, 'bad-address', /port must be 1 to 65535/],
    [`whatsudp://relay.lan:70000/room#${good}`, 'bad-address', /port must be 1 to 65535/],
    [`whatsudp://fe80::1:2410/room#${good}`, 'bad-address', /not a relay address/],
    [`whatsudp://[relay.lan]:2410/room#${good}`, 'bad-address', /not a host name or IP address/],
    [`whatsudp://bad_host!:2410/room#${good}`, 'bad-address', /not a host name/],
    [`whatsudp://h:1,/room#${good}`, 'bad-address', /"" in the invite/],
    [`whatsudp://h:1/#${good}`, 'bad-room', /is not a room name/],
    [`whatsudp://h:1/a%20b#${good}`, 'bad-room', /is not a room name/],
    [`whatsudp://h:1/r?fp=abc#${good}`, 'bad-fingerprint', /"abc" is not a relay fingerprint/],
    [`whatsudp://h:1/r?fp=${'1'.repeat(52)}#${good}`, 'bad-fingerprint', /not a relay fingerprint/],
    ['whatsudp://h:1/r', 'missing-fragment', /lost its secret/],
    ['whatsudp://h:1/r#', 'missing-fragment', /lost its secret/],
    ['whatsudp://h:1/r#v2.AAAA', 'unknown-version', /version "v2"/],
    [`whatsudp://h:1/r#${good.slice(3)}`, 'unknown-version', /which this WhatsUDP does not know/],
    ['whatsudp://h:1/r#v1.AA+A/AAA', 'bad-base64', /not base64url/],
    ['whatsudp://h:1/r#v1.AAAAA', 'bad-base64', /not base64url/],
    [`whatsudp://h:1/r#${good}=`, 'bad-base64', /not base64url/],
    [`whatsudp://h:1/r#${good.slice(0, -1)}`, 'bad-base64', /not base64url/],
    ['whatsudp://h:1/r#v1.AAAA', 'wrong-length', /3 bytes, not 32/],
    [`whatsudp://h:1/r#${good}AAAA`, 'wrong-length', /35 bytes, not 32/],
    [`vscode://whatsudp.whatsudp/join?room=r#${good}`, 'bad-address', /names no relay/],
    [`vscode://whatsudp.whatsudp/join?relays=h%3A1#v9.x`, 'bad-room', /"" is not a room name/],
  ];
  for (const [link, code, message] of broken) {
    test(`${code}: ${link.length > 60 ? `${link.slice(0, 57)}...` : link}`, () => {
      assert.throws(() => parseInvite(link), (e: Error) => e instanceof InviteError && e.code === code && message.test(e.message));
    });
  }

  test('the formatters refuse what the parser would refuse', () => {
    assert.throws(() => formatInvite({ ...invite, relays: [] }), InviteError);
    assert.throws(() => formatInvite({ ...invite, room: 'a/b' }), InviteError);
    assert.throws(() => formatInvite({ ...invite, secret: new Uint8Array(16) }), /16/);
    assert.throws(() => formatInvite({ ...invite, fingerprints: [fp.toUpperCase()] }), /canonical/);
  });
});
