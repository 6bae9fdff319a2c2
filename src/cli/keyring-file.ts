// The CLI's keyring (issue 9): a sealed room's secrets by epoch, learnt from a rekey, in `keyring`
// beside the identity (0600, as the identity). The keyring writes in the background when a rekey
// arrives; a chat that ends right after one must not exit mid-write (a temp file left, the new key
// lost), so the file's reads and writes are counted and the chat waits for them before it exits.
import path from 'node:path';
import { ChatError } from '../chat';
import { FileStore, IdentityError, type TextStore } from '../chat/identity';
import { Keyring } from '../chat/identity/keyring';

class CountedStore implements TextStore {
  private readonly busy = new Set<Promise<unknown>>();

  constructor(private readonly file: FileStore) {}

  get where(): string {
    return this.file.where;
  }

  get(): Promise<string | undefined> {
    return this.track(this.file.get());
  }

  set(value: string): Promise<void> {
    return this.track(this.file.set(value));
  }

  private track<T>(p: Promise<T>): Promise<T> {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.busy.add(settled);
    void settled.then(() => this.busy.delete(settled));
    return p;
  }

  /** Resolves once no read or write is under way (a write that follows a read included). */
  async idle(): Promise<void> {
    for (let i = 0; i < 10 && this.busy.size > 0; i++) {
      await Promise.all(this.busy);
      await new Promise((resolve) => setImmediate(resolve)); // a read's write comes after it
    }
  }
}

export interface KeyringFile {
  keyring: Keyring;
  /** Waits until what the keyring is writing is on disk. */
  idle(): Promise<void>;
}

/** The keyring file beside the identity; one that cannot be read is the user's to fix, said as a
 * bad identity file is (exit 2). */
export async function loadKeyring(identity: string): Promise<KeyringFile> {
  const store = new CountedStore(new FileStore(path.join(path.dirname(identity), 'keyring')));
  try {
    return { keyring: await Keyring.load(store), idle: () => store.idle() };
  } catch (err) {
    if (err instanceof IdentityError) throw new ChatError('BAD_OPTION', err.message);
    throw err;
  }
}
