// Child processes for the CLI tests: `node dist/cli.js ...` (or the seed's Python programs), their
// output collected as lines, every wait bounded, and every process stopped by its PID afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
export const FIXTURES = path.join(ROOT, 'test', 'unit', 'fixtures');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Proc {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<Exit>;
  private readonly lines = new EventEmitter();
  private exit: Exit | undefined;

  constructor(readonly child: ChildProcess, readonly label: string) {
    this.collect('stdout');
    this.collect('stderr');
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exit = { code, signal };
        this.lines.emit('line');
        resolve(this.exit);
      });
    });
    // A child that exits before reading all we wrote must not fail the test runner with EPIPE.
    child.stdin?.on('error', () => undefined);
  }

  private collect(stream: 'stdout' | 'stderr'): void {
    let partial = '';
    const source = this.child[stream];
    source?.setEncoding('utf8');
    source?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      this[stream].push(...parts);
      this.lines.emit('line');
    });
    source?.on('end', () => {
      if (partial) this[stream].push(partial);
      partial = '';
      this.lines.emit('line');
    });
  }

  /** Resolves with the first line on `stream` (from index `from`) that matches; rejects after `ms`. */
  waitForLine(stream: 'stdout' | 'stderr', match: RegExp | string, ms = 5000, from = 0): Promise<string> {
    const test = (l: string): boolean => (typeof match === 'string' ? l === match : match.test(l));
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this[stream].slice(from).find(test);
        if (found !== undefined) finish(() => resolve(found));
        else if (this.exit) finish(() => reject(this.failure(`exited (${this.exit?.code ?? this.exit?.signal}) before ${stream} showed ${match}`)));
      };
      const timer = setTimeout(() => finish(() => reject(this.failure(`no ${stream} line matching ${match} within ${ms} ms`))), ms);
      const finish = (then: () => void): void => {
        clearTimeout(timer);
        this.lines.off('line', check);
        then();
      };
      this.lines.on('line', check);
      check();
    });
  }

  /** Waits until `count` stdout lines match, bounded. */
  async waitForCount(match: RegExp, count: number, ms = 5000): Promise<string[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.stdout.filter((l) => match.test(l));
      if (found.length >= count) return found;
      if (Date.now() > deadline || this.exit) throw this.failure(`${found.length} of ${count} stdout lines matching ${match}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The exit, or a failure after `ms` (the process is then killed by `stopAll`). */
  async exitWithin(ms: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.failure(`still running after ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  write(text: string): void {
    this.child.stdin?.write(text);
  }

  end(text?: string): void {
    this.child.stdin?.end(text);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exit || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, sig);
    } catch (err) {
      // It ended on its own between the check and the kill (reaped, its 'exit' not yet heard): gone, as asked.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  /** Stops it by PID: SIGTERM, then SIGKILL if it has not gone within 3 s. */
  async stop(): Promise<void> {
    if (this.exit || this.child.pid === undefined) return;
    this.signal('SIGTERM');
    const gone = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
    if (!gone) {
      this.signal('SIGKILL');
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
    }
  }

  private failure(what: string): Error {
    return new Error(`${this.label}: ${what}\n--- stdout:\n${this.stdout.join('\n')}\n--- stderr:\n${this.stderr.join('\n')}`);
  }
}

const running = new Set<Proc>();

/** Runs a command (optionally inside a network namespace, via `ip netns exec`, which execs it in place). */
export function spawnProc(command: string, args: string[], opts: { netns?: string; label?: string; configHome?: string } = {}): Proc {
  const [cmd, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, command, ...args]] : [command, args];
  // Each process its own config folder (device key, pinned relay keys, a relay's key), unless the
  // test shares one on purpose: never the user's, and no pin left by one test meets another's relay.
  const configHome = opts.configHome ?? mkdtempSync(path.join(os.tmpdir(), 'whatsudp-config-'));
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', XDG_CONFIG_HOME: configHome } });
  const proc = new Proc(child, opts.label ?? `${path.basename(command)} ${args.join(' ')}`);
  running.add(proc);
  void proc.exited.then(() => {
    running.delete(proc);
    if (!opts.configHome) rmSync(configHome, { recursive: true, force: true });
  });
  return proc;
}

export function cliBuilt(): boolean {
  return existsSync(CLI);
}

/** The newest source the bundle is made of, when it is newer than the bundle: the tests would test old code. */
function staleBecause(): string | undefined {
  const built = statSync(CLI).mtimeMs;
  for (const dir of ['src/cli', 'src/chat', 'src/protocol', 'src/common']) {
    for (const name of readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      const file = path.join(ROOT, dir, name);
      if (name.endsWith('.ts') && statSync(file).mtimeMs > built) return path.relative(ROOT, file);
    }
  }
  return undefined;
}
let checkedFresh = false;

/** `node dist/cli.js ...args`. */
export function spawnCli(args: string[], opts: { netns?: string; label?: string; configHome?: string } = {}): Proc {
  if (!cliBuilt()) throw new Error(`${CLI} is missing: build it first with \`node esbuild.mjs\``);
  if (!checkedFresh) {
    const newer = staleBecause();
    if (newer) throw new Error(`dist/cli.js is older than ${newer}: rebuild it with \`node esbuild.mjs\` (npm run build)`);
    checkedFresh = true;
  }
  return spawnProc(process.execPath, [CLI, ...args], { label: `whatsudp ${args.join(' ')}`, ...opts });
}

/** Starts `whatsudp relay` and resolves with it and its address line once it listens. */
export async function startRelay(args: string[] = [], opts: { netns?: string; configHome?: string } = {}): Promise<{ relay: Proc; address: string }> {
  const relay = spawnCli(['relay', '--port', '0', ...args], opts);
  const address = await relay.waitForLine('stdout', /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\]):\d+$/, 5000);
  return { relay, address };
}

/** Stops every process these helpers started and that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}
