// Replacing a file whole: the content goes to a temporary file beside it, which is then renamed over
// it, so a crash leaves the old file or the new one, never half of one. The one way the engine and the
// extension write a file atomically (the relay's store, the extension's history).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ReplaceOptions {
  /** Flush the data and the directory entry before returning: survives power loss, not only a
   * killed process, at the cost of two disk flushes. Default false. */
  fsync?: boolean;
}

// Beside the target, since a rename is atomic only within one file system; named by the process, so
// two processes replacing the same file never write into each other's temporary file.
const tmpName = (file: string): string => `${file}.${process.pid}.tmp`;

const bytes = (content: Buffer | string): Buffer => (typeof content === 'string' ? Buffer.from(content) : content);

/** A write that makes no progress is a full disk; without this check a short write would loop forever. */
const noSpace = (): Error => Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });

/** What this writes is a relay's store or a member's history: its owner's alone (issue 9). A
 * temporary file left by a crash keeps the mode it had, so the mode is set on the open file too. */
const PRIVATE = 0o600;

/** Replaces `file` with `content`, readable by its owner only (0600); on failure the temporary file is
 * removed and `file` is unchanged. */
export function replaceFileSync(file: string, content: Buffer | string, opts: ReplaceOptions = {}): void {
  const tmp = tmpName(file);
  const buf = bytes(content);
  try {
    const fd = fs.openSync(tmp, 'w', PRIVATE);
    try {
      if (process.platform !== 'win32') fs.fchmodSync(fd, PRIVATE);
      for (let done = 0; done < buf.length; ) {
        const n = fs.writeSync(fd, buf, done, buf.length - done, done);
        if (n <= 0) throw noSpace();
        done += n;
      }
      if (opts.fsync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // The first failure is the one to report.
    }
    throw err;
  }
  if (opts.fsync) syncDirSync(path.dirname(file));
}

/** The same without blocking the event loop (the extension host must not stall on a disk). */
export async function replaceFile(file: string, content: Buffer | string, opts: ReplaceOptions = {}): Promise<void> {
  const tmp = tmpName(file);
  const buf = bytes(content);
  try {
    const handle = await fs.promises.open(tmp, 'w', PRIVATE);
    try {
      if (process.platform !== 'win32') await handle.chmod(PRIVATE);
      for (let done = 0; done < buf.length; ) {
        const { bytesWritten } = await handle.write(buf, done, buf.length - done, done);
        if (bytesWritten <= 0) throw noSpace();
        done += bytesWritten;
      }
      if (opts.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined); // the first failure is the one to report
    throw err;
  }
  if (opts.fsync) await syncDir(path.dirname(file));
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await fs.promises.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // As in syncDirSync.
  }
}

/** Makes a directory's entries (a new or renamed file) survive power loss, where the platform can. */
export function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open a directory; its renames are made durable by other means.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
