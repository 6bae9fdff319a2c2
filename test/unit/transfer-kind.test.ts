// Issue 14: a file is named by a signed message of kind 15, JSON fields a version that does not know
// the kind shows as a placeholder. Every field is checked on receipt: one that is not what it must be
// (an id that is not 32 hex digits, a key that is not 32 bytes, a size over 16 MiB, a half image box)
// makes the whole message a placeholder, never a file a client would fetch or save.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyOf, KIND_FILE, wireOf } from '../../src/protocol/kinds';
import { decodeContent, encodeContent } from '../../src/protocol/sealed-content';
import { fileSizeProblem, MAX_FILE_BYTES, type FileBody, type FileInfo } from '../../src/common/message';

const info: FileInfo = {
  id: '0123456789abcdef0123456789abcdef',
  key: Buffer.alloc(32, 7).toString('base64url'),
  name: 'report.pdf',
  size: 1234,
  sha256: 'ab'.repeat(32),
  mime: 'application/pdf',
};

const roundTrip = (body: FileBody) => {
  const { head, text } = wireOf(body);
  return { head, json: JSON.parse(text.toString('utf8')) as Record<string, unknown>, back: bodyOf(head, text.toString('utf8')) };
};

test('a file message travels as kind 15 JSON and comes back the same, with or without caption and image box', () => {
  const plain = roundTrip({ kind: 'file', text: '', file: info });
  assert.deepEqual(plain.head, { kind: 'other', code: KIND_FILE, totalBytes: plain.head.totalBytes });
  assert.deepEqual(plain.json, { id: info.id, key: info.key, name: info.name, size: 1234, sha256: info.sha256, mime: info.mime });
  assert.deepEqual(plain.back, { kind: 'file', text: '', file: info });
  const image: FileBody = { kind: 'file', text: 'the chart', file: { ...info, name: 'chart.png', mime: 'image/png', width: 640, height: 480 } };
  const r = roundTrip(image);
  assert.equal(r.json.w, 640);
  assert.equal(r.json.h, 480);
  assert.equal(r.json.text, 'the chart');
  assert.deepEqual(r.back, image);
});

test('a file message is sealed and opened like any other in a sealed room', () => {
  const body: FileBody = { kind: 'file', text: 'x', file: { ...info, size: 0 } };
  assert.deepEqual(decodeContent(encodeContent(body)), body);
});

test('every field that is not what it must be makes a placeholder, not a file', () => {
  const good = roundTrip({ kind: 'file', text: '', file: info }).json;
  const bad: Record<string, unknown>[] = [
    { id: info.id.toUpperCase() }, { id: info.id.slice(2) }, { id: 5 }, { id: undefined },
    { key: Buffer.alloc(31).toString('base64url') }, { key: Buffer.alloc(32).toString('base64') + '=' }, { key: info.key.slice(0, 42) + 'B' },
    { name: '' }, { name: 'x'.repeat(1025) }, { name: ['a'] },
    { size: -1 }, { size: 1.5 }, { size: MAX_FILE_BYTES + 1 }, { size: '12' },
    { sha256: 'AB'.repeat(32) }, { sha256: 'ab'.repeat(31) },
    { mime: 'pdf' }, { mime: 'text/plain; charset=utf-8' }, { mime: '' },
    { w: 10 }, { h: 10 }, { w: 0, h: 10 }, { w: 65536, h: 1 }, { w: 1.5, h: 2 },
    { text: 5 },
  ];
  for (const change of bad) {
    const text = JSON.stringify({ ...good, ...change });
    const b = bodyOf({ kind: 'other', code: KIND_FILE, totalBytes: text.length }, text);
    assert.equal(b.kind, 'placeholder', `accepted ${JSON.stringify(change)}`);
  }
  for (const text of ['[]', 'null', '{', '"x"']) assert.equal(bodyOf({ kind: 'other', code: KIND_FILE, totalBytes: text.length }, text).kind, 'placeholder');
  // what the receiver would refuse, the sender cannot send
  assert.throws(() => wireOf({ kind: 'file', text: '', file: { ...info, id: 'nope' } }), /Cannot encode file \(id/);
  // extra fields a later version adds are ignored
  const later = JSON.stringify({ ...good, thumb: 'x' });
  assert.equal(bodyOf({ kind: 'other', code: KIND_FILE, totalBytes: later.length }, later).kind, 'file');
});

test('a file over 16 MiB is refused with both sizes', () => {
  assert.equal(fileSizeProblem('x.iso', MAX_FILE_BYTES), undefined);
  assert.equal(fileSizeProblem('x.iso', 700 * 1024 * 1024), 'x.iso is 700.0 MiB; files can be at most 16 MiB.');
});
