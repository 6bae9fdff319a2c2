// The `whatsudp` command: picks the subcommand, turns every error a user can cause into one line on
// stderr and a documented exit code (help.ts), and makes SIGINT and SIGTERM leave the room or close
// the relay before exiting with 130 or 143.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError, parseChatArgs, parseDiscoverArgs, parseRelayArgs, wantsHelp } from './args';
import { startChat } from './chat-command';
import { startDiscover } from './discover-command';
import { CHAT_HELP, DISCOVER_HELP, EXIT, MAIN_HELP, RELAY_HELP, VERIFY_HELP } from './help';
import { startLegacyChat } from './legacy-command';
import { startRelay } from './relay-command';
import { errorLine, exitCodeFor, type Io, type Session } from './session';
import { parseVerifyArgs, startVerify } from './verify-command';

/** The version from the package.json next to the bundle (dist/..), or above the compiled tests. */
function version(): string {
  for (let dir = __dirname, i = 0; i < 4; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'whatsudp' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

// A reader that went away (`whatsudp relay | head -1`) must not crash a relay with EPIPE.
let stdoutGone = false;
process.stdout.on('error', () => (stdoutGone = true));
process.stderr.on('error', () => undefined);

// At a terminal, a transfer's progress is one line kept under everything else printed: taken away
// before a line is printed and put back after it.
let status = '';
const aroundStatus = (print: () => void): void => {
  if (status) process.stderr.write('\r\x1b[K');
  print();
  if (status) process.stderr.write(status);
};
const io: Io = {
  stdin: process.stdin,
  out: (text) => {
    if (!stdoutGone) aroundStatus(() => process.stdout.write(text + '\n'));
  },
  err: (text) => {
    aroundStatus(() => process.stderr.write(text + '\n'));
  },
  ...(process.stderr.isTTY
    ? {
        status: (text: string) => {
          // Cut to the terminal's width: a wrapped line could not be replaced with a carriage return.
          status = [...text].slice(0, Math.max(10, (process.stderr.columns || 80) - 1)).join('');
          process.stderr.write(`\r\x1b[K${status}`);
        },
      }
    : {}),
};

/** Exits once what was written has reached stdout and stderr (pipes may be asynchronous). */
async function exit(code: number): Promise<never> {
  const drain = (s: NodeJS.WriteStream): Promise<void> => new Promise((resolve) => s.write('', () => resolve()));
  await Promise.race([Promise.all([drain(process.stdout), drain(process.stderr)]), new Promise((r) => setTimeout(r, 1000))]);
  process.exit(code);
}

function start(argv: string[]): Session | number {
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.err(MAIN_HELP.trimEnd());
    return EXIT.USAGE;
  }
  if (command === '--help' || command === '-h') return print(MAIN_HELP);
  if (command === '--version' || command === '-V') return print(version());
  switch (command) {
    case 'relay':
      return wantsHelp(rest) ? print(RELAY_HELP) : startRelay(parseRelayArgs(rest), io);
    case 'chat': {
      if (wantsHelp(rest)) return print(CHAT_HELP);
      const args = parseChatArgs(rest);
      return args.legacy ? startLegacyChat(args, io) : startChat(args, io);
    }
    case 'discover':
      return wantsHelp(rest) ? print(DISCOVER_HELP) : startDiscover(parseDiscoverArgs(rest), io);
    case 'verify':
      return wantsHelp(rest) ? print(VERIFY_HELP) : startVerify(parseVerifyArgs(rest), io);
    default:
      throw new UsageError(`unknown command "${command}": the commands are relay, chat, discover and verify`);
  }
}

function print(text: string): number {
  io.out(text.trimEnd());
  return EXIT.OK;
}

async function main(): Promise<void> {
  let session: Session | number;
  try {
    session = start(process.argv.slice(2));
  } catch (err) {
    // One line, with where to look: a script's log shows the mistake and the fix together.
    const sub = ['relay', 'chat', 'discover', 'verify'].includes(process.argv[2]) ? `${process.argv[2]} ` : '';
    io.err(errorLine(err) + (err instanceof UsageError ? ` (see whatsudp ${sub}--help)` : ''));
    return exit(exitCodeFor(err));
  }
  if (typeof session === 'number') return exit(session);
  const running = session;

  let signalled = false;
  const onSignal = (code: number): void => {
    // A second Ctrl-C means "now": do not wait for a relay that does not answer a Leave.
    if (signalled) void exit(code);
    signalled = true;
    void running.stop().finally(() => exit(code));
  };
  process.on('SIGINT', () => onSignal(EXIT.SIGINT));
  process.on('SIGTERM', () => onSignal(EXIT.SIGTERM));

  const code = await running.done;
  if (!signalled) await exit(code);
}

main().catch(async (err: unknown) => {
  io.err(errorLine(err));
  await exit(EXIT.INTERNAL);
});
