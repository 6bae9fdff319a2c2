// What /send tells about a file besides its bytes (src/cli/file-meta.ts): its type from the extension,
// an image's width and height from its header, and sizes and progress as a person reads them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, imageDimensions, mimeFor } from '../../src/cli/file-meta';
import { Progress, progressText } from '../../src/cli/progress';
import type { Io } from '../../src/cli/session';

// Minimal headers of each raster type, built here byte by byte (no fixture to trust).
function png(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from([0, 0, 0, 13]), Buffer.from('IHDR'), ihdr, Buffer.alloc(4)]);
}

function gif(width: number, height: number): Buffer {
  const b = Buffer.alloc(13);
  b.write('GIF89a', 0, 'latin1');
  b.writeUInt16LE(width, 6);
  b.writeUInt16LE(height, 8);
  return b;
}

/** A baseline JPEG's start: SOI, an APP0 JFIF or an APP1 EXIF with an orientation (real files
 * start with one or the other), then SOF0. */
function jpeg(width: number, height: number, orientation?: number): Buffer {
  const parts = [Buffer.from([0xff, 0xd8])];
  if (orientation === undefined) parts.push(Buffer.from([0xff, 0xe0, 0, 16]), Buffer.from('JFIF\0', 'latin1'), Buffer.from([1, 1, 0, 0, 1, 0, 1, 0, 0]));
  else {
    // TIFF (big-endian) with one IFD entry: 0x0112 orientation, SHORT, 1 value.
    const tiff = Buffer.alloc(8 + 2 + 12 + 4);
    tiff.write('MM', 0, 'latin1');
    tiff.writeUInt16BE(42, 2);
    tiff.writeUInt32BE(8, 4);
    tiff.writeUInt16BE(1, 8);
    tiff.writeUInt16BE(0x0112, 10);
    tiff.writeUInt16BE(3, 12);
    tiff.writeUInt32BE(1, 14);
    tiff.writeUInt16BE(orientation, 18);
    const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(body.length + 2);
    parts.push(Buffer.from([0xff, 0xe1]), len, body);
  }
  const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  parts.push(sof, Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}

/** A lossless WebP (VP8L): 14-bit width-1 and height-1 after the signature byte. */
function webp(width: number, height: number): Buffer {
  const bits = (width - 1) | ((height - 1) << 14);
  const vp8l = Buffer.alloc(5);
  vp8l[0] = 0x2f;
  vp8l.writeUInt32LE(bits >>> 0, 1);
  const chunk = Buffer.concat([Buffer.from('VP8L', 'latin1'), Buffer.from([vp8l.length, 0, 0, 0]), vp8l, Buffer.alloc(1)]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(4 + chunk.length);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), size, Buffer.from('WEBP', 'latin1'), chunk]);
}

describe('mimeFor', () => {
  it('names the type from the extension, any case; unknown is octet-stream', () => {
    assert.equal(mimeFor('photo.PNG'), 'image/png');
    assert.equal(mimeFor('a.b.jpeg'), 'image/jpeg');
    assert.equal(mimeFor('report.pdf'), 'application/pdf');
    assert.equal(mimeFor('setup.exe'), 'application/octet-stream');
    assert.equal(mimeFor('README'), 'application/octet-stream');
    assert.equal(mimeFor('.png'), 'image/png');
    assert.equal(mimeFor('toString'), 'application/octet-stream', 'no prototype key is a type');
    assert.equal(mimeFor('x.constructor'), 'application/octet-stream');
  });
});

describe('imageDimensions', () => {
  it('reads png, gif, jpeg and webp headers', () => {
    assert.deepEqual(imageDimensions(png(800, 600), 'image/png'), { width: 800, height: 600 });
    assert.deepEqual(imageDimensions(gif(320, 200), 'image/gif'), { width: 320, height: 200 });
    assert.deepEqual(imageDimensions(jpeg(1024, 768), 'image/jpeg'), { width: 1024, height: 768 });
    assert.deepEqual(imageDimensions(webp(640, 480), 'image/webp'), { width: 640, height: 480 });
  });

  it("turns a jpeg whose EXIF says it is shown on its side", () => {
    assert.deepEqual(imageDimensions(jpeg(4000, 3000, 6), 'image/jpeg'), { width: 3000, height: 4000 });
    assert.deepEqual(imageDimensions(jpeg(4000, 3000, 1), 'image/jpeg'), { width: 4000, height: 3000 });
  });

  it('gives nothing for other types, damaged headers, bytes of another type, zero sizes', () => {
    assert.equal(imageDimensions(png(800, 600), 'application/octet-stream'), undefined);
    assert.equal(imageDimensions(Buffer.from('<svg width="10" height="10"/>'), 'image/svg+xml'), undefined);
    assert.equal(imageDimensions(Buffer.from('not an image at all'), 'image/png'), undefined);
    assert.equal(imageDimensions(png(800, 600).subarray(0, 20), 'image/png'), undefined);
    assert.equal(imageDimensions(Buffer.alloc(0), 'image/jpeg'), undefined);
    assert.equal(imageDimensions(gif(320, 200), 'image/png'), undefined, 'a .png that is a gif');
    assert.equal(imageDimensions(gif(0, 200), 'image/gif'), undefined);
    assert.equal(imageDimensions(png(100_000, 10), 'image/png'), undefined, 'larger than any real image');
  });

  it('never throws on random bytes', () => {
    let seed = 11;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const heads = [png(8, 8), gif(8, 8), jpeg(8, 8, 6), webp(8, 8)];
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(heads[i % heads.length]);
      for (let j = 0; j < 3; j++) b[next() % b.length] = next() % 256;
      const cut = b.subarray(0, next() % (b.length + 1));
      for (const mime of ['image/png', 'image/gif', 'image/jpeg', 'image/webp']) {
        const d = imageDimensions(cut, mime);
        if (d) assert.ok(d.width >= 1 && d.height >= 1 && d.width <= 65535 && d.height <= 65535);
      }
    }
  });
});

describe('sizes and progress', () => {
  it('formats sizes as a person reads them', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1258291), '1.2 MiB');
    assert.equal(formatBytes(16 * 1024 * 1024), '16.0 MiB');
    assert.equal(formatBytes(700 * 1024 * 1024), '700.0 MiB');
  });

  it('without a terminal, says a line at every 10%, not every update', () => {
    const lines: string[] = [];
    const io: Io = { stdin: process.stdin, out: () => undefined, err: (t) => lines.push(t) };
    const p = new Progress(io, 'sending', 'big.iso');
    const total = 16 * 1024 * 1024;
    for (let done = 0; done <= total; done += 1024 * 64) p.update(done, total);
    p.end();
    p.update(total, total);
    assert.equal(lines.length, 11, lines.join('\n'));
    assert.equal(lines[0], 'whatsudp: sending big.iso: 0% (0 B of 16.0 MiB)');
    assert.equal(lines[10], 'whatsudp: sending big.iso: 100% (16.0 MiB of 16.0 MiB)');
  });

  it('at a terminal, replaces one status line and clears it at the end', () => {
    const status: string[] = [];
    const io: Io = { stdin: process.stdin, out: () => undefined, err: () => assert.fail('no lines'), status: (t) => status.push(t) };
    const p = new Progress(io, 'getting', 'a.pdf');
    p.update(0, 2048);
    p.update(1024, 2048);
    p.end();
    assert.deepEqual(status, [progressText('getting', 'a.pdf', 0, 2048), 'getting a.pdf: 50% (1.0 KiB of 2.0 KiB)', '']);
    assert.equal(progressText('sending', 'empty', 0, 0), 'sending empty: 100% (0 B of 0 B)');
  });
});
