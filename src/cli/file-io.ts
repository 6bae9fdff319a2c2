// The file system side of /send and /get: reading a file to send (what is refused, and why, in
// words), and saving a received one so that no file is ever overwritten and no half-written file is
// left behind: the bytes go to a hidden temporary file in the same folder, which is then linked to
// the first free name ("name.pdf", "name (1).pdf", ...; a link never replaces) and removed.
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { numberedFileName } from '../common/filename';
import { tooLargeText } from '../common/message';

/** Where /get saves: a folder and the name to give the file there (numbered if it is taken). */
export interface SaveTarget {
  dir: string;
  name: string;
}

const MAX_NUMBER = 999;
// File systems without hard links (FAT, some network mounts) say so with one of these.
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** What stops a file from being read, as a person says it. */
function readProblem(err: unknown, shown: string): string {
  switch (code(err)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return `there is no file ${shown}`;
    case 'EACCES':
    case 'EPERM':
      return `${shown} cannot be read (permission denied)`;
    default:
      return `${shown} cannot be read (${code(err) ?? (err instanceof Error ? err.message : String(err))})`;
  }
}

/** A file's bytes and name (the last part of its path), or why it cannot be sent. */
export async function readForSending(where: string, shown: string, maxBytes: number): Promise<{ bytes: Buffer; name: string } | { error: string }> {
  const name = path.basename(where);
  const tooLarge = (size: number): { error: string } => ({ error: `${shown} is ${tooLargeText(size, maxBytes)}` });
  let st;
  try {
    st = await stat(where);
  } catch (err) {
    return { error: readProblem(err, shown) };
  }
  if (st.isDirectory()) return { error: `${shown} is a folder (/send sends one file)` };
  if (!st.isFile()) return { error: `${shown} is not a regular file` };
  if (st.size > maxBytes) return tooLarge(st.size);
  let bytes: Buffer;
  try {
    bytes = await readFile(where);
  } catch (err) {
    return { error: readProblem(err, shown) };
  }
  // It grew between the look and the read.
  if (bytes.length > maxBytes) return tooLarge(bytes.length);
  return { bytes, name };
}

/** Puts `temp` at `final` only if nothing is there; false if something is. */
async function placeAt(temp: string, final: string): Promise<boolean> {
  try {
    await link(temp, final);
    return true;
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    if (!NO_LINKS.has(code(err) ?? '')) throw err;
  }
  // No hard links here: take the name with an exclusive create, then move the bytes over it.
  let taken;
  try {
    taken = await open(final, 'wx');
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    throw err;
  }
  await taken.close();
  try {
    await rename(temp, final);
  } catch (err) {
    await rm(final, { force: true });
    throw err;
  }
  return true;
}

/** Saves `bytes` in target.dir under target.name or the first free numbered name; the path used. */
export async function saveNew(target: SaveTarget, bytes: Uint8Array): Promise<string> {
  const temp = path.join(target.dir, `.whatsudp-${randomBytes(6).toString('hex')}.part`);
  try {
    // Not executable, whatever it is: a received file is only ever saved.
    await writeNew(temp, bytes);
    for (let n = 0; n <= MAX_NUMBER; n++) {
      const final = path.join(target.dir, numberedFileName(target.name, n));
      if (await placeAt(temp, final)) return final;
    }
    throw new Error(`${target.name} and its numbered names up to (${MAX_NUMBER}) are all taken in ${target.dir}`);
  } finally {
    await rm(temp, { force: true });
  }
}

async function writeNew(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'wx', 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
