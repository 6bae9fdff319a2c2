// Small networks for the discovery tests: namespaces joined by veth pairs, directly or through a
// bridge in a "switch" namespace, with addresses from the documentation ranges (RFC 5737). Nothing
// is created on the machine's own interfaces, and everything is deleted in after() or, failing that,
// at exit. A switch can stop forwarding multicast, as Wi-Fi that filters it does.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
}

function inNs(ns: string, args: string[]): void {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) throw new Error(`${args.join(' ')} in ${ns} failed: ${r.error?.message ?? r.stderr.trim()}`);
}

/** Waits (bounded) until the link has its carrier: the kernel reports a veth's carrier through its
 * link watch, up to a second after both ends are up, and until then Node does not list the interface. */
function waitForCarrier(end: End): void {
  const deadline = Date.now() + 5000;
  for (;;) {
    const r = spawnSync('ip', ['-n', end.ns, '-o', 'link', 'show', 'dev', end.dev], { encoding: 'utf8', timeout: 5000 });
    if (/ state UP /.test(r.stdout ?? '')) return;
    if (Date.now() > deadline) throw new Error(`${end.dev} in ${end.ns} has no carrier after 5 s: ${r.stdout}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

const created = new Set<string>();
process.on('exit', () => {
  for (const name of created) spawnSync('ip', ['netns', 'del', name], { timeout: 5000 });
});

export interface End {
  ns: string;
  /** Interface name inside the namespace (at most 15 characters). */
  dev: string;
  /** Address with prefix, e.g. 192.0.2.1/24. */
  cidr: string;
}

export class Lab {
  private readonly tag = randomBytes(3).toString('hex');
  private readonly spaces: string[] = [];

  /** A namespace with its loopback up and no route anywhere else. */
  ns(role: string): string {
    const name = `wd-${this.tag}-${role}`;
    ip(['netns', 'add', name]);
    created.add(name);
    this.spaces.push(name);
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** A veth pair between two namespaces, addressed and up. `multicastRoute` adds 224.0.0.0/4 on both ends. */
  link(a: End, b: End, multicastRoute = true): void {
    ip(['link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
    for (const end of [a, b]) {
      ip(['-n', end.ns, 'addr', 'add', end.cidr, 'dev', end.dev]);
      ip(['-n', end.ns, 'link', 'set', end.dev, 'up']);
      if (multicastRoute) ip(['-n', end.ns, 'route', 'add', '224.0.0.0/4', 'dev', end.dev]);
    }
    waitForCarrier(a);
    waitForCarrier(b);
  }

  /** A bridge in its own namespace with one port per host end; `multicast: false` makes the switch
   * drop multicast (the ports' mcast_flood off) while it still forwards broadcast. */
  switched(hosts: End[], opts: { multicast: boolean }): void {
    const sw = this.ns('sw');
    ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', sw, 'link', 'set', 'br0', 'up']);
    hosts.forEach((h, i) => {
      const port = `p${i}`;
      ip(['link', 'add', h.dev, 'netns', h.ns, 'type', 'veth', 'peer', 'name', port, 'netns', sw]);
      ip(['-n', sw, 'link', 'set', port, 'master', 'br0']);
      ip(['-n', sw, 'link', 'set', port, 'up']);
      if (!opts.multicast) inNs(sw, ['bridge', 'link', 'set', 'dev', port, 'mcast_flood', 'off']);
      ip(['-n', h.ns, 'addr', 'add', h.cidr, 'dev', h.dev]);
      ip(['-n', h.ns, 'link', 'set', h.dev, 'up']);
    });
    for (const h of hosts) waitForCarrier(h);
  }

  /** Deletes every namespace (processes in them must be stopped first); safe twice. */
  delete(): void {
    for (const name of this.spaces.splice(0)) {
      spawnSync('ip', ['netns', 'del', name], { timeout: 10_000 });
      created.delete(name);
    }
  }
}
