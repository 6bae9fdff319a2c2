// Files and images in the chat panel (issue 14): a colleague (an engine client) sends an image and a
// file through a relay with its file store; the panel shows the image inline in the box its message
// reserved (the same size before and after its bytes arrive) and the file's row with its cleaned
// name; Save... (the dialog answered with a path, as a user would pick it) writes the exact bytes; and
// a file pasted into the composer (the message the webview posts for a paste) reaches the colleague
// byte for byte, with its image size.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import * as vscode from 'vscode';
import { formatAddress, Relay } from '../../src/chat';
import { safeFileName } from '../../src/common/filename';
import type { FileRowReport, RenderReport } from '../../src/common/messages';
import type { WhatsUdpApi } from '../../src/extension/extension';
import { closeChatTab, extensionApi, Peer, reportWhere, resetTheme, screenshot, Settings, waitFor } from './helpers';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** A real PNG, `w` x `h`, in two colours (an RGB gradient is not needed: Chromium must decode it). */
function png(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + 3 * w);
    for (let x = 0; x < w; x++) row.set(x < w / 2 ? [0x1e, 0x88, 0xe5] : [0xf4, 0x51, 0x1e], 1 + 3 * x);
    rows.push(row);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

describe('WhatsUDP files and images in the panel', function () {
  this.timeout(120_000);
  let api: WhatsUdpApi;
  let relay: Relay | undefined;
  let bob: Peer;
  const settings = new Settings();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whatsudp-files-'));
  const image = png(240, 120);
  const doc = randomBytes(300_000);
  const docName = '../../etc/report\u202Efdp.exe.pdf'; // a path and a bidi override: never used as given
  const until = (what: string, check: (r: RenderReport) => boolean) => reportWhere(api, what, check, 30_000);
  const row = (r: RenderReport, name: string): FileRowReport | undefined => r.files?.find((f) => f.name === name);

  before(async () => {
    api = await extensionApi();
    relay = await Relay.start({ host: '127.0.0.1', port: 0 });
    await settings.set('name', 'alice');
    await vscode.commands.executeCommand('whatsudp.clearHistory');
    await settings.set('relayAddress', formatAddress(relay.address()));
    await vscode.commands.executeCommand('whatsudp.reconnect');
    const session = await api.session();
    await waitFor('the chat to join the test relay', () => session.connection.state === 'connected' && formatAddress(session.server) === formatAddress(relay!.address()));
    bob = await new Peer(relay.address(), 'bob').start();
    await waitFor('bob in the room', () => session.members.some((m) => m.name === 'bob'));
    await vscode.commands.executeCommand('whatsudp.openChat');
    await until('the panel open', (r) => r.memberNames.length > 0);
  });

  after(async () => {
    await closeChatTab();
    await vscode.commands.executeCommand('whatsudp.clearHistory');
    await settings.restore();
    await resetTheme();
    await bob?.close();
    await relay?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows an image inline in the box its message reserved, and a file as a row with its cleaned name', async () => {
    await bob.client.sendFile({ bytes: image, name: 'diagram.png', mime: 'image/png', width: 240, height: 120, caption: 'the new layout' }).done;
    await bob.client.sendFile({ bytes: doc, name: docName, mime: 'application/pdf' }).done;
    const first = await until('the image row', (r) => row(r, 'diagram.png') !== undefined);
    const before = row(first, 'diagram.png')!;
    assert.equal(before.image, true);
    assert.deepEqual(before.box, { width: 240, height: 120 }, 'the box is the message\'s width and height (under the 320 px cap)');
    const loaded = await until('the image drawn from its fetched, checked copy', (r) => row(r, 'diagram.png')?.loaded === true);
    assert.deepEqual(row(loaded, 'diagram.png')!.box, before.box, 'the row did not change size when the bytes came');
    const shown = safeFileName(docName);
    assert.ok(!shown.includes('/') && !shown.includes('\u202E'), `the name is cleaned: ${shown}`);
    const r = await until('the file row', (x) => row(x, shown) !== undefined);
    assert.equal(row(r, shown)!.image, false);
    assert.equal(row(r, shown)!.size, '293.0 KiB');
    assert.equal(r.activeContent, 0);
    await screenshot('files-dark', 'Default Dark Modern');
    await screenshot('files-light', 'Default Light Modern');
  });

  it('Save... writes the exact bytes where the dialog said, for a file and for an image', async () => {
    const shown = safeFileName(docName);
    const r = await until('both rows', (x) => row(x, shown) !== undefined && row(x, 'diagram.png') !== undefined);
    for (const [name, bytes] of [[shown, doc], ['diagram.png', image]] as const) {
      const target = path.join(dir, `saved-${name}`);
      api.answerNextSave(target);
      api.panel.receive({ type: 'fileSave', key: row(r, name)!.key });
      await waitFor(`${name} saved`, () => fs.existsSync(target) && fs.statSync(target).size === bytes.length, 30_000);
      assert.ok(fs.readFileSync(target).equals(bytes), `${name}: the saved bytes are the sent bytes`);
      assert.equal(fs.statSync(target).mode & 0o111, 0, 'never executable');
    }
    await until('the row says where it was saved', (x) => row(x, shown)?.status.startsWith('Saved as') === true);
  });

  it('a file pasted into the composer reaches bob byte for byte, with its image size', async () => {
    const pasted = png(64, 32);
    api.panel.receive({ type: 'sendFile', name: 'pasted.png', mime: 'image/png', data: pasted.toString('base64'), width: 64, height: 32, caption: 'from the clipboard' });
    const m = await waitFor('bob to get the pasted image', () => bob.messages.find((x) => x.kind === 'file' && x.file.name === 'pasted.png'), 30_000);
    assert.ok(m.kind === 'file');
    assert.equal(m.text, 'from the clipboard');
    assert.equal(m.file.mime, 'image/png');
    assert.deepEqual([m.file.width, m.file.height], [64, 32]);
    assert.ok((await bob.client.fetchFile(m.file).done).equals(pasted));
    // An SVG posted as an image is sent as a plain file, never as an image to show.
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    api.panel.receive({ type: 'sendFile', name: 'x.svg', mime: 'image/svg+xml', data: svg.toString('base64'), width: 10, height: 10, caption: '' });
    const s = await waitFor('bob to get the svg', () => bob.messages.find((x) => x.kind === 'file' && x.file.name === 'x.svg'), 30_000);
    assert.ok(s.kind === 'file');
    assert.equal(s.file.mime, 'application/octet-stream');
    assert.equal(s.file.width, undefined);
  });

  it('a file the relay no longer has: the row says so, in place of the image too, and Save writes nothing', async () => {
    const gone = (name: string, mime: string, size: { width: number; height: number } | object) =>
      bob.client.send({ kind: 'file', text: '', file: { id: randomBytes(16).toString('hex'), key: randomBytes(32).toString('base64url'), name, size: 1000, sha256: randomBytes(32).toString('hex'), mime, ...size } });
    gone('lost.pdf', 'application/pdf', {});
    gone('lost.png', 'image/png', { width: 100, height: 50 });
    const r = await until('the lost image row saying the relay has it no more', (x) => /no longer has/.test(row(x, 'lost.png')?.status ?? ''));
    assert.deepEqual(row(r, 'lost.png')!.box, { width: 100, height: 50 }, 'its box stays as reserved');
    assert.equal(row(r, 'lost.png')!.loaded, false);
    const target = path.join(dir, 'lost.pdf');
    api.answerNextSave(target);
    api.panel.receive({ type: 'fileSave', key: row(r, 'lost.pdf')!.key });
    await until('the lost file row saying so', (x) => /no longer has/.test(row(x, 'lost.pdf')?.status ?? ''));
    assert.equal(fs.existsSync(target), false, 'nothing written');
  });
});
