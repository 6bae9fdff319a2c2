// How a file message prints (src/cli/format.ts, issue 14): its line with how to save it, its caption
// below, a hostile name escaped like any peer text, and --json's `file` without the key.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RoomMessage } from '../../src/chat';
import type { FileBody, FileInfo } from '../../src/common/message';
import { firstLine, formatMessage, messageJson } from '../../src/cli/format';

const info: FileInfo = { id: 'ab'.repeat(16), key: 'k'.repeat(43), name: 'report.pdf', size: 1258291, sha256: 'cd'.repeat(32), mime: 'application/pdf' };
const body = (file: Partial<FileInfo> = {}, text = ''): FileBody => ({ kind: 'file', text, file: { ...info, ...file } });

describe('a file message on a terminal', () => {
  it('says what the file is and how to save it', () => {
    assert.equal(formatMessage('ann', body(), false, 12), 'ann: 📎 report.pdf (1.2 MiB) — /get 12 to save');
    assert.equal(formatMessage('ann', body({ name: 'cat.png', size: 348_365, mime: 'image/png', width: 800, height: 600 }), false, 3), 'ann: 📎 cat.png (340.2 KiB, 800×600) — /get 3 to save');
    assert.equal(formatMessage('ann', body(), false), 'ann: 📎 report.pdf (1.2 MiB)', 'where there is no /get (the relay log), no hint');
  });

  it('prints the caption below, indented, escaped', () => {
    assert.equal(formatMessage('ann', body({}, 'the numbers\nq3 \x1b[2J'), false, 4), 'ann: 📎 report.pdf (1.2 MiB) — /get 4 to save\n  the numbers\n  q3 \\x1b[2J');
  });

  it("shows a hostile name as visible escapes, never raw", () => {
    const line = formatMessage('eve', body({ name: 'invoice\u202Egnp.exe\n\x1b]0;pwned\x07' }), false, 5);
    assert.equal(line, 'eve: 📎 invoice\\u202egnp.exe\\x0a\\x1b]0;pwned\\x07 (1.2 MiB) — /get 5 to save');
    assert.equal(firstLine(body({ name: 'a\u202eb' })), '📎 a\\u202eb (1.2 MiB)');
  });
});

describe('a file message in --json', () => {
  it('has file {name, size, sha256, mime, width?, height?}, never the key', () => {
    const msg = { seq: 7, time: 1, msgId: 2, sender: { id: '1', name: 'ann', legacy: false }, verified: true, ...body({ width: 10, height: 20, mime: 'image/png' }, 'hi') } as unknown as RoomMessage;
    const json = messageJson(msg, false, 'main');
    assert.equal(json.kind, 'file');
    assert.equal(json.text, 'hi');
    assert.deepEqual(json.file, { name: 'report.pdf', size: 1258291, sha256: 'cd'.repeat(32), mime: 'image/png', width: 10, height: 20 });
    assert.ok(!JSON.stringify(json).includes(info.key) && !JSON.stringify(json).includes(info.id));
    const text = { ...msg, kind: 'text', text: 'x' } as unknown as RoomMessage;
    assert.equal(messageJson(text, false).file, null);
  });
});
