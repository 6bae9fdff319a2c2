// Where a device keeps its secret key and its pins: a small get/set-a-string interface, so that the
// CLI keeps a 0600 file in the config folder and the extension keeps the key in VS Code's
// SecretStorage (an adapter of three lines) with the same code above it.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TextStore {
  /** Where it is, for messages: a file path, or "VS Code's secret storage". */
  readonly where: string;
  get(): Promise<string | undefined>;
  set(value: string): Promise<void>;
  /**
   * Stores `value` unless something is stored already, and returns what is stored then. Two processes
   * creating an identity at once must end up with the same one; a store that cannot promise this
   * leaves it out, and get-then-set is used instead.
   */
  create?(value: string): Promise<string>;
}

export type IdentityErrorCode = 'UNREADABLE' | 'TOO_OPEN' | 'CORRUPT' | 'UNWRITABLE';

/** A key or pin file that cannot be used; the message says which file and what to do. */
export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}

/** $XDG_CONFIG_HOME/whatsudp, else ~/.config/whatsudp (%APPDATA%\whatsudp on Windows). */
export function configDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32' && env.APPDATA) return path.join(env.APPDATA, 'whatsudp');
  const xdg = env.XDG_CONFIG_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config'), 'whatsudp');
}

export const defaultIdentityPath = (env?: NodeJS.ProcessEnv) => path.join(configDir(env), 'identity');
export const defaultRelayPinsPath = (env?: NodeJS.ProcessEnv) => path.join(configDir(env), 'known_relays');
export const defaultMemberPinsPath = (env?: NodeJS.ProcessEnv) => path.join(configDir(env), 'known_members');

const isPosix = process.platform !== 'win32';

/** Cleanup that must not hide the error being reported. */
const removeQuietly = (file: string) => fs.rm(file, { force: true }).catch(() => undefined);

/**
 * A file readable and writable by its owner only (0600) in a folder of its own (0700, made on first
 * use). Every write goes to a temporary file in the same folder that is then renamed (or linked, for
 * create) over the real one, so a crash never leaves half a key.
 */
export class FileStore implements TextStore {
  constructor(readonly where: string) {}

  async get(): Promise<string | undefined> {
    let text: string;
    try {
      const st = await fs.stat(this.where);
      if (isPosix && (st.mode & 0o077) !== 0) {
        const mode = (st.mode & 0o777).toString(8);
        throw new IdentityError('TOO_OPEN', `${this.where} can be read by others (mode ${mode}): run \`chmod 600 ${this.where}\`.`);
      }
      text = await fs.readFile(this.where, 'utf8');
    } catch (err) {
      if (err instanceof IdentityError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new IdentityError('UNREADABLE', `Cannot read ${this.where}: ${(err as Error).message}`);
    }
    return text;
  }

  async set(value: string): Promise<void> {
    const tmp = await this.writeTemp(value);
    try {
      await fs.rename(tmp, this.where);
    } catch (err) {
      await removeQuietly(tmp);
      throw new IdentityError('UNWRITABLE', `Cannot write ${this.where}: ${(err as Error).message}`);
    }
  }

  async create(value: string): Promise<string> {
    const tmp = await this.writeTemp(value);
    try {
      await fs.link(tmp, this.where); // fails with EEXIST if another process was first: then theirs wins
      return value;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new IdentityError('UNWRITABLE', `Cannot write ${this.where}: ${(err as Error).message}`);
      const existing = await this.get();
      if (existing === undefined) throw new IdentityError('UNREADABLE', `${this.where} appeared and vanished again.`);
      return existing;
    } finally {
      await removeQuietly(tmp);
    }
  }

  private async writeTemp(value: string): Promise<string> {
    const dir = path.dirname(this.where);
    const tmp = path.join(dir, `.${path.basename(this.where)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const file = await fs.open(tmp, 'wx', 0o600);
      try {
        await file.writeFile(value, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
    } catch (err) {
      await removeQuietly(tmp);
      throw new IdentityError('UNWRITABLE', `Cannot write ${this.where}: ${(err as Error).message}`);
    }
    return tmp;
  }
}

/** A store in memory, for tests and for a relay or client that is told not to keep anything. */
export class MemoryStore implements TextStore {
  readonly where = 'memory';
  constructor(private value?: string) {}
  get(): Promise<string | undefined> {
    return Promise.resolve(this.value);
  }
  set(value: string): Promise<void> {
    this.value = value;
    return Promise.resolve();
  }
  create(value: string): Promise<string> {
    this.value ??= value;
    return Promise.resolve(this.value);
  }
}
