// Files in the panel (issue 14), the parts that need no VS Code: what counts as an image (its bytes,
// never its name or a claimed type; never SVG), a file message as the panel receives and checks it,
// and the box an image is given from its message before its bytes arrive.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isInlineImageType, sniffImage } from '../../src/common/image-type';
import type { FileInfo } from '../../src/common/message';
import type { ChatItem } from '../../src/common/messages';
import { messageBody, preview } from '../../src/extension/views';
import { imageBox } from '../../src/webview/image-box';
import { isChatItem } from '../../src/webview/valid';

const bytes = (...parts: (number[] | string)[]): Uint8Array => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const file = (more: Partial<FileInfo> = {}): FileInfo => ({ id: 'a'.repeat(32), key: 'A'.repeat(43), name: 'x.png', size: 10, sha256: 'b'.repeat(64), mime: 'image/png', ...more });
const item = (f: FileInfo, text = ''): ChatItem => ({ type: 'message', key: 's:1', seq: 1, time: 0, sender: { id: '1'.repeat(16), name: 'bob', legacy: false }, body: { kind: 'file', text, file: f }, own: false });

describe('extension files: images by their bytes', () => {
  it('knows png, jpeg, gif and webp by their magic bytes', () => {
    assert.equal(sniffImage(bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])), 'image/png');
    assert.equal(sniffImage(bytes([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
    assert.equal(sniffImage(bytes('GIF89a', [1, 0])), 'image/gif');
    assert.equal(sniffImage(bytes('GIF87a')), 'image/gif');
    assert.equal(sniffImage(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 ')), 'image/webp');
  });

  it('anything else is not an image: SVG, text, a RIFF that is not WEBP, a truncated header', () => {
    assert.equal(sniffImage(bytes('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined);
    assert.equal(sniffImage(bytes('<?xml version="1.0"?><svg/>')), undefined);
    assert.equal(sniffImage(bytes('hello')), undefined);
    assert.equal(sniffImage(bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt ')), undefined);
    assert.equal(sniffImage(bytes([0x89, 0x50, 0x4e])), undefined);
    assert.equal(sniffImage(new Uint8Array(0)), undefined);
  });

  it('shows inline only the four raster types, never SVG', () => {
    for (const t of ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'IMAGE/PNG']) assert.equal(isInlineImageType(t), true, t);
    for (const t of ['image/svg+xml', 'text/html', 'application/octet-stream', 'image/bmp']) assert.equal(isInlineImageType(t), false, t);
  });
});

describe('extension files: a file message in the panel', () => {
  it('keeps the file through the host\'s view, and a notification says what it is', () => {
    const f = file({ width: 800, height: 600 });
    assert.deepEqual(messageBody({ kind: 'file', text: 'look', file: f }), { kind: 'file', text: 'look', file: f });
    const m = { kind: 'file', text: 'look', file: f, seq: 3, time: 0, msgId: 1, sender: { id: '1'.repeat(16), name: 'bob', legacy: false } } as unknown as Parameters<typeof preview>[0];
    assert.equal(preview(m), 'bob: [image: x.png] look');
  });

  it('the webview takes a file item with what its row reads, and drops one without', () => {
    assert.equal(isChatItem(item(file())), true);
    assert.equal(isChatItem(item(file({ width: 10, height: 20 }))), true);
    assert.equal(isChatItem(item({ ...file(), name: 5 } as unknown as FileInfo)), false);
    assert.equal(isChatItem(item(file({ width: 10 }))), false, 'a width without a height');
    assert.equal(isChatItem({ ...item(file()), body: { kind: 'file', text: '' } }), false, 'no file at all');
  });

  it('an image\'s box comes from the message: at most 320 px wide, the aspect kept; none for a file or SVG', () => {
    assert.deepEqual(imageBox(file({ width: 800, height: 600 })), { width: 320, height: 240 });
    assert.deepEqual(imageBox(file({ width: 100, height: 50 })), { width: 100, height: 50 });
    assert.equal(imageBox(file()), undefined, 'no size in the message');
    assert.equal(imageBox(file({ mime: 'image/svg+xml', width: 100, height: 100 })), undefined);
    assert.equal(imageBox(file({ mime: 'application/pdf' })), undefined);
  });
});
