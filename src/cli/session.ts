// What `relay` and `chat` share: where their output goes, how they end, and how an error a user
// can cause becomes one line on stderr and an exit code.
import { ChatError } from '../chat';
import { UsageError } from './args';
import { EXIT } from './help';

export interface Io {
  stdin: NodeJS.ReadableStream;
  /** One line (or several, already joined) to stdout. */
  out(text: string): void;
  /** One line to stderr. */
  err(text: string): void;
  /** Only when stderr is a terminal: a line that the next call replaces ('' clears it), kept below
   * what out and err print (a transfer's progress). */
  status?(text: string): void;
}

/** A running command: `done` resolves with its exit code; `stop` ends it early (a signal). */
export interface Session {
  done: Promise<number>;
  stop(): Promise<void>;
}

/** The exit code for an error; `unreachableHost` says a BAD_ADDRESS means the relay's host (chat). */
export function exitCodeFor(err: unknown, unreachableHost = false): number {
  if (err instanceof UsageError) return EXIT.USAGE;
  if (!(err instanceof ChatError)) return EXIT.INTERNAL;
  switch (err.code) {
    case 'BAD_OPTION':
      return EXIT.USAGE;
    case 'UNREACHABLE':
      return EXIT.UNREACHABLE;
    case 'PORT_IN_USE':
      return EXIT.CANNOT_LISTEN;
    case 'BAD_ADDRESS':
      return unreachableHost ? EXIT.UNREACHABLE : EXIT.CANNOT_LISTEN;
    case 'REFUSED':
      return EXIT.REFUSED;
    case 'STORE':
      return EXIT.STORE;
    case 'RELAY_KEY_CHANGED':
      return EXIT.RELAY_KEY_CHANGED;
    case 'TOO_LARGE':
    case 'EMPTY':
    case 'FILE_GONE': // a file not sent or fetched (issue 14)
    case 'CORRUPT':
    case 'CANCELLED':
      return EXIT.UNDELIVERED;
    case 'CLOSED':
      return EXIT.OK;
    default: {
      const _exhaustive: never = err.code;
      return EXIT.INTERNAL;
    }
  }
}

/** The one line an error gets on stderr: its own sentence for the errors a user can cause. */
export function errorLine(err: unknown): string {
  if (err instanceof UsageError || err instanceof ChatError) return `whatsudp: ${oneLine(err.message)}`;
  // Not a user's mistake: still one line, but say it is ours so it gets reported.
  const message = err instanceof Error ? err.message : String(err);
  return `whatsudp: internal error: ${oneLine(message)} (please report this)`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Resolves after `ms`; the timer never keeps the process alive on its own. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Waits for `p` at most `ms`; for closing things that might hang on a dead network. */
export async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  await Promise.race([p.catch(() => undefined), sleep(ms)]);
}
