// The small file operations the store is built from, each with the care a crash or a full disk asks
// for: directories made one level at a time, writes that go to disk whole or not at all.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChatError } from '../../errors';
import { replaceFileSync, syncDirSync } from '../../fs';

/** A write the store could not complete: the message was not kept, and nothing half-written remains
 * that a restart would read. The message is what the sender is shown. */
export class NotStoredError extends ChatError {
  constructor(readonly failure: NodeJS.ErrnoException) {
    const full = failure.code === 'ENOSPC' || failure.code === 'EDQUOT';
    super(
      'STORE',
      full
        ? "The relay's disk is full, so the message was not kept; send it again once there is space."
        : `The relay could not write its store (${failure.code ?? failure.message}), so the message was not kept; send it again later.`,
    );
  }
}

/** `mkdir -p`, one level at a time: Node's recursive mkdirSync never returns for some paths
 * (a directory under /proc), and a relay that hangs at start is worse than one clear error. What it
 * makes is its owner's alone (0700): a store holds the room's history. */
export function makeDirs(dir: string): void {
  const abs = path.resolve(dir);
  const parent = path.dirname(abs);
  if (parent !== abs && !fs.existsSync(parent)) makeDirs(parent);
  try {
    fs.mkdirSync(abs, 0o700);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (!fs.statSync(abs).isDirectory()) throw new Error(`${abs} is not a directory`);
}

/** Writes all of `buf` at `position`, or throws; a short write is continued, and a write that
 * returns nothing counts as a full disk (a short write acknowledged is how messages were lost). */
export function writeAll(fd: number, buf: Buffer, position: number): void {
  for (let done = 0; done < buf.length; ) {
    const n = fs.writeSync(fd, buf, done, buf.length - done, position + done);
    if (n <= 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    done += n;
  }
}

/** Replaces `file` with `content` so that a crash leaves either the old or the new one (the one
 * atomic write of the engine and the extension, src/chat/fs.ts). */
export function replaceFile(file: string, content: Buffer | string, fsync: boolean): void {
  replaceFileSync(file, content, { fsync });
}

/** The store's own files (`names` matches them) made readable by their owner only, for a store
 * written by an earlier version (0644): a room's history is no one else's to read. */
export function keepPrivate(dir: string, names: (name: string) => boolean): void {
  if (process.platform === 'win32') return;
  for (const name of fs.readdirSync(dir)) {
    if (!names(name)) continue;
    const file = path.join(dir, name);
    const st = fs.lstatSync(file);
    if (st.isFile() && (st.mode & 0o077) !== 0) fs.chmodSync(file, st.mode & 0o700);
  }
}

/** Makes a directory's entries (a new or renamed file) survive power loss. Not every platform can. */
export const syncDir = syncDirSync;

export function removeQuietly(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch {
    return !fs.existsSync(file);
  }
}
