// The bodies of the file packets (issue 14: FileChunk, FileAck, FileGet, FileStatus, FileCancel), for
// codec.ts's table. docs/PROTOCOL.md, "Files", is their prose version.
import { ProtocolError, type Reader, type Writer } from './bytes';
import { MAX_FILE_CHUNKS, MAX_STORED_CHUNK_BYTES, MIN_STORED_CHUNK_BYTES } from './files';
import { MAX_DETAIL_BYTES, truncateUtf8 } from './parts';
import { FILE_ID_BYTES, FileState, MAX_FILE_RANGES, PacketType, type FileAck, type FileCancel, type FileChunk, type FileGet, type FileRange, type FileStatus } from './packets';

interface Body<P> {
  length(p: P): number;
  write(w: Writer, p: P): void;
  read(r: Reader): P;
}

const RANGE_BYTES = 6;

function fileId(id: Buffer, what: string): Buffer {
  if (id.length !== FILE_ID_BYTES) throw new ProtocolError(`Cannot encode ${what} (a file id is ${FILE_ID_BYTES} bytes)`);
  return id;
}

function checkChunks(chunks: number, what: string): void {
  if (!Number.isInteger(chunks) || chunks < 1 || chunks > MAX_FILE_CHUNKS) throw new ProtocolError(`Cannot ${what} (${chunks} chunks; 1 to ${MAX_FILE_CHUNKS})`);
}

function checkRanges(ranges: FileRange[], min: number, what: string): void {
  if (ranges.length < min || ranges.length > MAX_FILE_RANGES) throw new ProtocolError(`Cannot ${what} (${ranges.length} ranges; ${min} to ${MAX_FILE_RANGES})`);
  for (const { from, count } of ranges) {
    if (!Number.isInteger(from) || from < 0 || from >= MAX_FILE_CHUNKS || !Number.isInteger(count) || count < 1 || count > 0xffff || from + count > MAX_FILE_CHUNKS) {
      throw new ProtocolError(`Cannot ${what} (chunks ${from}+${count})`);
    }
  }
}

const writeRanges = (w: Writer, ranges: FileRange[]): void => {
  w.u8(ranges.length);
  for (const { from, count } of ranges) w.u32(from).u16(count);
};

function readRanges(r: Reader, min: number, what: string): FileRange[] {
  const n = r.u8('ranges');
  const ranges: FileRange[] = [];
  for (let i = 0; i < n; i++) ranges.push({ from: r.u32('from'), count: r.u16('count') });
  checkRanges(ranges, min, `decode ${what}`);
  return ranges;
}

const rangesBody = <T extends PacketType.FileAck | PacketType.FileGet>(type: T, min: number): Body<Extract<FileAck | FileGet, { type: T }>> => ({
  length: (p) => FILE_ID_BYTES + 1 + p.ranges.length * RANGE_BYTES,
  write(w, p) {
    checkRanges(p.ranges, min, `encode ${PacketType[type]}`);
    w.bytes(fileId(p.fileId, PacketType[type]));
    writeRanges(w, p.ranges);
  },
  read: (r) => ({ type, fileId: r.bytes(FILE_ID_BYTES, 'fileId'), ranges: readRanges(r, min, PacketType[type]) }) as Extract<FileAck | FileGet, { type: T }>,
});

export const FILE_BODIES: {
  [PacketType.FileChunk]: Body<FileChunk>;
  [PacketType.FileAck]: Body<FileAck>;
  [PacketType.FileGet]: Body<FileGet>;
  [PacketType.FileStatus]: Body<FileStatus>;
  [PacketType.FileCancel]: Body<FileCancel>;
} = {
  [PacketType.FileChunk]: {
    length: (p) => FILE_ID_BYTES + 8 + p.data.length,
    write(w, p) {
      checkChunks(p.chunks, 'encode FileChunk');
      if (!Number.isInteger(p.index) || p.index < 0 || p.index >= p.chunks) throw new ProtocolError(`Cannot encode FileChunk (chunk ${p.index} of ${p.chunks})`);
      if (p.data.length < MIN_STORED_CHUNK_BYTES || p.data.length > MAX_STORED_CHUNK_BYTES) throw new ProtocolError(`Cannot encode FileChunk (${p.data.length} bytes)`);
      w.bytes(fileId(p.fileId, 'FileChunk')).u32(p.chunks).u32(p.index).bytes(p.data);
    },
    read(r) {
      const id = r.bytes(FILE_ID_BYTES, 'fileId');
      const chunks = r.u32('chunks');
      checkChunks(chunks, 'decode FileChunk');
      const index = r.u32('index');
      if (index >= chunks) throw new ProtocolError(`Cannot decode FileChunk (chunk ${index} of ${chunks})`);
      const data = r.rest();
      if (data.length < MIN_STORED_CHUNK_BYTES || data.length > MAX_STORED_CHUNK_BYTES) throw new ProtocolError(`Cannot decode FileChunk (${data.length} bytes)`);
      return { type: PacketType.FileChunk, fileId: id, chunks, index, data };
    },
  },
  [PacketType.FileAck]: rangesBody(PacketType.FileAck, 1),
  [PacketType.FileGet]: rangesBody(PacketType.FileGet, 0),
  [PacketType.FileStatus]: {
    length: (p) => FILE_ID_BYTES + 1 + 4 + 1 + p.missing.length * RANGE_BYTES + 1 + detailOf(p.detail).length,
    write(w, p) {
      if (!(p.state in FileState) || typeof p.state !== 'number') throw new ProtocolError(`Cannot encode FileStatus (state ${p.state})`);
      checkRanges(p.missing, 0, 'encode FileStatus');
      if (p.state !== FileState.Partial && p.missing.length > 0) throw new ProtocolError('Cannot encode FileStatus (missing ranges only when partial)');
      w.bytes(fileId(p.fileId, 'FileStatus')).u8(p.state).u32(p.chunks);
      writeRanges(w, p.missing);
      w.str(detailOf(p.detail));
    },
    read(r) {
      const id = r.bytes(FILE_ID_BYTES, 'fileId');
      const state: number = r.u8('state');
      if (state < 1 || state > 4) throw new ProtocolError(`Cannot decode FileStatus (state ${state})`);
      const chunks = r.u32('chunks');
      if (chunks > MAX_FILE_CHUNKS) throw new ProtocolError(`Cannot decode FileStatus (${chunks} chunks)`);
      const missing = readRanges(r, 0, 'FileStatus');
      if (state !== 3 && missing.length > 0) throw new ProtocolError('Cannot decode FileStatus (missing ranges only when partial)');
      return { type: PacketType.FileStatus, fileId: id, state: state, chunks, missing, detail: r.str('detail', MAX_DETAIL_BYTES) };
    },
  },
  [PacketType.FileCancel]: {
    length: () => FILE_ID_BYTES,
    write: (w, p) => w.bytes(fileId(p.fileId, 'FileCancel')),
    read: (r) => ({ type: PacketType.FileCancel, fileId: r.bytes(FILE_ID_BYTES, 'fileId') }),
  },
};

function detailOf(detail: string): Buffer {
  return truncateUtf8(Buffer.from(detail, 'utf8'), MAX_DETAIL_BYTES);
}
