// Errors a user can cause or meet. Each has a code the CLI maps to an exit code and the extension
// to a notification; the message is one clear sentence meant for the user, never a stack trace.
export type ChatErrorCode =
  | 'BAD_OPTION' // a bad name, address, port or setting
  | 'PORT_IN_USE'
  | 'BAD_ADDRESS' // an address this machine cannot bind or reach
  | 'UNREACHABLE' // no relay answered
  | 'TOO_LARGE'
  | 'EMPTY'
  | 'REFUSED' // the relay refused a join or a message
  | 'STORE' // the relay's store could not be read or written
  | 'CLOSED' // the client or relay was closed
  | 'RELAY_KEY_CHANGED' // the relay's key is not the one pinned for its address
  | 'FILE_GONE' // the relay no longer has a file (unknown or evicted)
  | 'CORRUPT' // a file's bytes do not check out (a chunk's seal or the whole file's SHA-256)
  | 'CANCELLED'; // a file transfer was cancelled

export class ChatError extends Error {
  constructor(
    readonly code: ChatErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ChatError';
  }

  /** dist/cluster.js is a bundle of its own with its own copy of this class (src/chat/cluster/load.ts):
   * its errors are ChatErrors too, so `instanceof ChatError` knows one by its brand, not its prototype.
   * Subclasses keep the ordinary check. */
  static override [Symbol.hasInstance](x: unknown): boolean {
    if (this !== ChatError) return Function.prototype[Symbol.hasInstance].call(this, x);
    return x instanceof Error && (x as { [CHAT_ERROR]?: unknown })[CHAT_ERROR] === true;
  }
}

// Symbol.for: one symbol across bundles. Set on every ChatError's prototype below.
const CHAT_ERROR = Symbol.for('whatsudp.ChatError');
Object.defineProperty(ChatError.prototype, CHAT_ERROR, { value: true });

/** The relay's key is not the one pinned for the address the user gave: both fingerprints, so the
 * user can ask the relay's owner which one it shows and trust the new one only if it matches. */
export class RelayKeyChangedError extends ChatError {
  constructor(
    message: string,
    readonly address: string,
    readonly pinned: string,
    readonly presented: string,
  ) {
    super('RELAY_KEY_CHANGED', message);
  }
}

/** Turns a socket bind error into a ChatError that says what to do. */
export function bindError(err: NodeJS.ErrnoException, host: string, port: number): ChatError {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new ChatError('PORT_IN_USE', `UDP port ${port} is already in use on ${host}: stop what uses it or choose another port (0 picks a free one).`);
    case 'EADDRNOTAVAIL':
      return new ChatError('BAD_ADDRESS', `${host} is not an address of this machine, so nothing can listen on ${where}.`);
    case 'EACCES':
      return new ChatError('BAD_ADDRESS', `Not allowed to listen on ${where} (ports below 1024 need privileges).`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ChatError('BAD_ADDRESS', `Cannot resolve host ${host}.`);
    default:
      return new ChatError('BAD_ADDRESS', `Cannot listen on ${where}: ${err.message}`);
  }
}
