// Network namespaces for the broadcast tests: a namespace of its own whose loopback carries the
// default route, so a broadcast to 255.255.255.255 goes out on that `lo` and never reaches the
// machine's real interfaces. Created per test file, deleted in after() and, failing that, at exit.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'needs root for network namespaces';
  if (spawnSync('ip', ['-V'], { timeout: 5000 }).error) return 'needs iproute2 (ip) for network namespaces';
  return undefined;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
}

const created = new Set<string>();
process.on('exit', () => {
  for (const name of created) spawnSync('ip', ['netns', 'del', name], { timeout: 5000 });
});

export class Netns {
  private constructor(readonly name: string) {}

  /** Creates `wu-<random>` with lo up and the default route on lo, and checks that broadcast stays there. */
  static create(): Netns {
    const ns = new Netns(`wu-${randomBytes(4).toString('hex')}`);
    ip(['netns', 'add', ns.name]);
    created.add(ns.name);
    try {
      ip(['-n', ns.name, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns.name, 'route', 'add', 'default', 'dev', 'lo']);
      ns.probeBroadcast();
    } catch (err) {
      ns.delete();
      throw err;
    }
    return ns;
  }

  /** A datagram to 255.255.255.255 must arrive at a listener in the namespace, or the tests mean nothing. */
  private probeBroadcast(): void {
    const probe = `
      const dgram = require('node:dgram');
      const rx = dgram.createSocket('udp4');
      const timer = setTimeout(() => process.exit(3), 3000);
      rx.on('message', (m) => { if (String(m) === 'probe') { clearTimeout(timer); process.exit(0); } });
      rx.bind(0, '0.0.0.0', () => {
        const tx = dgram.createSocket('udp4');
        tx.bind(0, () => { tx.setBroadcast(true); tx.send('probe', rx.address().port, '255.255.255.255'); });
      });`;
    const r = spawnSync('ip', ['netns', 'exec', this.name, process.execPath, '-e', probe], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`broadcast probe in ${this.name} failed (${r.status}): ${r.stderr.trim()}`);
  }

  /** Deletes the namespace (processes in it must be stopped first); safe twice. */
  delete(): void {
    if (!created.has(this.name)) return;
    spawnSync('ip', ['netns', 'del', this.name], { timeout: 10_000 });
    created.delete(this.name);
  }
}
