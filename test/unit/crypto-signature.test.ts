// Message signatures: what a reader sees is what the author signed, field by field, and the encoding
// is frozen by a known answer so that two versions of WhatsUDP verify each other's messages.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageBody } from '../../src/common/message';
import { loadNobleCrypto, nodeCrypto, type Crypto } from '../../src/protocol/crypto';
import { memberId } from '../../src/protocol/fingerprint';
import { messageSigningInput, signMessage, verifyMessage, type SignedMessage } from '../../src/protocol/message-signature';

let noble: Crypto;
before(async () => {
  noble = await loadNobleCrypto();
});

const c = nodeCrypto;
const ann = c.signingKey(new Uint8Array(32).fill(1));
const annId = memberId(c, ann.publicKey);
const snippet: MessageBody = { kind: 'snippet', text: 'let x = 1;', path: 'src/a.ts', startLine: 3, endLine: 4, language: 'typescript' };
const base: SignedMessage = { roomId: 0xfedcba9876543210n, author: annId, msgId: 7, body: snippet };

describe('message signatures', () => {
  test('a text and a snippet verify with the author key, on both backends, and not with another key', () => {
    for (const m of [base, { ...base, body: { kind: 'text', text: 'héllo 🚀' } } satisfies SignedMessage]) {
      const sig = signMessage(ann, m);
      assert.ok(verifyMessage(c.verifyKey(ann.publicKey), m, sig));
      assert.ok(verifyMessage(noble.verifyKey(ann.publicKey), m, sig));
      assert.deepEqual([...signMessage(noble.signingKey(new Uint8Array(32).fill(1)), m)], [...sig]);
      assert.equal(verifyMessage(c.verifyKey(c.signingKey(new Uint8Array(32).fill(2)).publicKey), m, sig), false);
    }
  });

  test('changing any signed field breaks the signature', () => {
    const sig = signMessage(ann, base);
    const v = c.verifyKey(ann.publicKey);
    const body = base.body as Extract<MessageBody, { kind: 'snippet' }>;
    const changed: Array<[string, SignedMessage]> = [
      ['room', { ...base, roomId: base.roomId + 1n }],
      ['author', { ...base, author: memberId(c, c.signingKey(new Uint8Array(32).fill(3)).publicKey) }],
      ['msgId', { ...base, msgId: 8 }],
      ['kind', { ...base, body: { kind: 'text', text: body.text } }],
      ['text', { ...base, body: { ...body, text: 'let x = 2;' } }],
      ['path', { ...base, body: { ...body, path: 'src/b.ts' } }],
      ['startLine', { ...base, body: { ...body, startLine: 2 } }],
      ['endLine', { ...base, body: { ...body, endLine: 5 } }],
      ['language', { ...base, body: { ...body, language: 'javascript' } }],
      ['a later field', { ...base, extra: [{ tag: 16, value: new Uint8Array([1]) }] }],
    ];
    for (const [what, m] of changed) assert.equal(verifyMessage(v, m, sig), false, what);
  });

  test('moving bytes between fields gives another encoding (no ambiguity)', () => {
    const a = messageSigningInput({ ...base, body: { ...snippet, text: 'ab', path: 'c' } });
    const b = messageSigningInput({ ...base, body: { ...snippet, text: 'a', path: 'bc' } });
    assert.notDeepEqual(a, b);
  });

  test('the encoding is frozen: a known answer', () => {
    const m: SignedMessage = { roomId: 1n, author: new Uint8Array(8).fill(0xaa), msgId: 2, body: { kind: 'text', text: 'hi' } };
    const expected =
      Buffer.from('whatsudp v2 message\0').toString('hex') +
      '01' + '00000008' + '0000000000000001' +
      '02' + '00000008' + 'aaaaaaaaaaaaaaaa' +
      '03' + '00000004' + '00000002' +
      '04' + '00000001' + '01' +
      '05' + '00000002' + '6869';
    assert.equal(Buffer.from(messageSigningInput(m)).toString('hex'), expected);
  });

  test('later fields must come with ascending tags from 16; a bad one does not verify rather than throw', () => {
    assert.throws(() => messageSigningInput({ ...base, extra: [{ tag: 9, value: new Uint8Array(0) }] }), /ascending from 16/);
    assert.throws(() => messageSigningInput({ ...base, extra: [{ tag: 17, value: new Uint8Array(0) }, { tag: 16, value: new Uint8Array(0) }] }), /ascending/);
    assert.equal(verifyMessage(c.verifyKey(ann.publicKey), { ...base, author: new Uint8Array(3) }, new Uint8Array(64)), false);
  });
});
