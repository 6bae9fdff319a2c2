// A network namespace of the benchmark's own, for the legacy (broadcast) measure: lo up and the
// default route on lo, so a broadcast to 255.255.255.255 stays inside it and never reaches the
// machine's real interfaces. Deleted after the measure, also when it fails or the process exits.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const created = new Set<string>();
process.on('exit', () => {
  for (const name of created) spawnSync('ip', ['netns', 'del', name], { timeout: 5000 });
});

/** Why a namespace cannot be made here, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux for a network namespace';
  if (process.getuid?.() !== 0) return 'needs root for a network namespace';
  if (spawnSync('ip', ['-V'], { timeout: 5000 }).error) return 'needs iproute2 (ip) for a network namespace';
  return undefined;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
}

/** Runs `fn` with a fresh namespace's name, and deletes the namespace afterwards. */
export async function withNetns<T>(fn: (name: string) => Promise<T>): Promise<T> {
  const name = `wu-bench-${randomBytes(4).toString('hex')}`;
  ip(['netns', 'add', name]);
  created.add(name);
  try {
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    ip(['-n', name, 'route', 'add', 'default', 'dev', 'lo']);
    return await fn(name);
  } finally {
    spawnSync('ip', ['netns', 'del', name], { timeout: 10_000 });
    created.delete(name);
  }
}
