// The store of earlier versions, `messages.jsonl` (one JSON object per line), read once so a relay
// that is upgraded keeps its room. Read in chunks: such logs grew to hundreds of megabytes, more than
// fits in one string.
import * as fs from 'node:fs';
import type { StoredMessage } from './record';
import type { ScanSink } from './segment';

export const JSONL_FILE = 'messages.jsonl';
const CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

/** Reads every line of `file` into `sink`: messages, unreadable lines as damage, and a last line
 * without its newline as a write that never completed. */
export function readJsonl(file: string, sink: ScanSink): void {
  const fd = fs.openSync(file, 'r');
  try {
    let rest = Buffer.alloc(0);
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      let buf = rest.length ? Buffer.concat([rest, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = buf.indexOf(NEWLINE, start); nl >= 0; nl = buf.indexOf(NEWLINE, start)) {
        line(buf.subarray(start, nl), sink);
        start = nl + 1;
      }
      buf = buf.subarray(start);
      rest = Buffer.from(buf); // `chunk` is reused by the next read
    }
    if (rest.length > 0) {
      // A line cut short is the write a crash interrupted; one that parses lost only its newline.
      const m = parseLine(rest.toString('utf8'));
      if (m) sink.record(m, rest.length);
      else sink.torn();
    }
  } finally {
    fs.closeSync(fd);
  }
}

function line(bytes: Buffer, sink: ScanSink): void {
  if (bytes.length === 0) return;
  const m = parseLine(bytes.toString('utf8'));
  if (m) sink.record(m, bytes.length + 1);
  else sink.damagedRecord(bytes.length + 1);
}

function parseLine(text: string): StoredMessage | undefined {
  try {
    const m = JSON.parse(text) as StoredMessage;
    const b = m.body as { kind?: string; text?: unknown; path?: unknown; language?: unknown; startLine?: unknown; endLine?: unknown } | undefined;
    const ok =
      Number.isInteger(m.seq) && m.seq > 0 && m.seq <= 0xffffffff && typeof m.time === 'number' &&
      typeof m.senderId === 'string' && /^[0-9a-f]{16}$/.test(m.senderId) && typeof m.legacy === 'boolean' &&
      typeof m.name === 'string' && Number.isInteger(m.msgId) && typeof b?.text === 'string' &&
      (b.kind === 'text' || (b.kind === 'snippet' && typeof b.path === 'string' && typeof b.language === 'string' &&
        Number.isInteger(b.startLine) && Number.isInteger(b.endLine)));
    return ok ? m : undefined;
  } catch {
    return undefined;
  }
}
