// Real nats-server processes for the cluster tests: one server or a 3-node JetStream cluster, each on
// 127.0.0.1 with ports the server picks itself (-1, read back from its ports file, so no race for a free
// port), JetStream in a temporary folder, every wait bounded, every process stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const INSTALL_HINT =
  'nats-server is not installed; the cluster tests need Debian\'s package (2.9.10): ' +
  'run `sudo bash scripts/setup-system.sh` or `sudo apt-get install -y --no-install-recommends nats-server`';

/** The nats-server binary, or an Error that says how to install it (the tests fail with it, never pass). */
export function natsServerBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    const bin = path.join(dir, 'nats-server');
    if (dir && existsSync(bin)) return bin;
  }
  throw new Error(INSTALL_HINT);
}

export type ServerAuth = { user: string; pass: string } | { token: string };

export interface NatsServer {
  readonly name: string;
  /** nats://127.0.0.1:PORT for clients. */
  readonly url: string;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  readonly log: () => string;
}

const WAIT_MS = 15_000;

async function until<T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Ports { nats: string[]; cluster?: string[] }

/** One or more nats-server processes in one temporary folder; stop() ends them all and removes it. */
export class NatsFixture {
  readonly servers: NatsServer[] = [];
  private readonly children = new Map<string, ChildProcess>();
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-nats-'));
  private readonly bin = natsServerBinary();
  private routes: string[] = [];

  private constructor(private readonly clustered: boolean, private readonly auth?: ServerAuth) {}

  /** One JetStream server. */
  static async single(auth?: ServerAuth): Promise<NatsFixture> {
    const f = new NatsFixture(false, auth);
    try {
      await f.start('n1');
      return f;
    } catch (e) {
      await f.stop();
      throw e;
    }
  }

  /** Three JetStream servers in one cluster, each routed to those started before it (gossip does the rest). */
  static async cluster(auth?: ServerAuth): Promise<NatsFixture> {
    const f = new NatsFixture(true, auth);
    try {
      for (const name of ['n1', 'n2', 'n3']) await f.start(name);
      return f;
    } catch (e) {
      await f.stop();
      throw e;
    }
  }

  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  private async start(name: string): Promise<NatsServer> {
    const home = path.join(this.dir, name);
    mkdirSync(home, { recursive: true });
    const lines = [
      `server_name: ${name}`,
      'listen: "127.0.0.1:-1"',
      `jetstream { store_dir: ${JSON.stringify(path.join(home, 'js'))}, max_memory_store: 64MB, max_file_store: 1GB }`,
    ];
    if (this.auth && 'token' in this.auth) lines.push(`authorization { token: ${JSON.stringify(this.auth.token)} }`);
    else if (this.auth) lines.push(`authorization { user: ${JSON.stringify(this.auth.user)}, password: ${JSON.stringify(this.auth.pass)} }`);
    if (this.clustered) {
      lines.push(`cluster { name: wudp-test, listen: "127.0.0.1:-1", routes: [${this.routes.map((r) => JSON.stringify(r)).join(', ')}] }`);
    }
    const conf = path.join(home, 'server.conf');
    writeFileSync(conf, lines.join('\n') + '\n');
    const logFile = path.join(home, 'server.log');
    const child = spawn(this.bin, ['-c', conf, '--ports_file_dir', home, '-l', logFile], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let spawnError: Error | undefined;
    child.once('error', (e) => (spawnError = e));
    if (child.pid === undefined) await new Promise((r) => setImmediate(r));
    if (spawnError || child.pid === undefined) throw spawnError ?? new Error(`nats-server ${name} did not start`);
    this.children.set(name, child);
    const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
    const ports = await until<Ports>(`nats-server ${name} to listen`, WAIT_MS, () => {
      if (child.exitCode !== null) throw new Error(`nats-server ${name} exited (${child.exitCode}):\n${log()}`);
      const file = readdirSync(home).find((f) => f.endsWith('.ports'));
      if (!file) return undefined;
      try {
        return JSON.parse(readFileSync(path.join(home, file), 'utf8')) as Ports;
      } catch {
        return undefined; // written but not yet complete
      }
    });
    const route = ports.cluster?.[0];
    if (route) this.routes.push(route.replace(/^nats:/, 'nats-route:'));
    const server: NatsServer = { name, url: ports.nats[0], pid: child.pid, exited, log };
    this.servers.push(server);
    return server;
  }

  /** Ends one server at once (SIGKILL, by PID) and waits for it to be gone: a server dying, not leaving. */
  async kill(name: string): Promise<void> {
    const child = this.children.get(name);
    const server = this.servers.find((s) => s.name === name);
    if (!child || !server) throw new Error(`no server ${name}`);
    if (child.exitCode === null && child.signalCode === null) process.kill(server.pid, 'SIGKILL');
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 5000))]);
    this.children.delete(name);
  }

  /** Stops every server still running (SIGTERM, then SIGKILL after 5 s) and removes the folder. Safe twice. */
  async stop(): Promise<void> {
    const waits: Promise<unknown>[] = [];
    for (const [name, child] of this.children) {
      const server = this.servers.find((s) => s.name === name);
      if (!child.pid || child.exitCode !== null || child.signalCode !== null) continue;
      const gone = server?.exited ?? new Promise((r) => child.once('exit', r));
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        continue; // already gone
      }
      waits.push(Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]).then(() => {
        if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
      }));
    }
    await Promise.all(waits);
    this.children.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
