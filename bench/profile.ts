// Reads a V8 .cpuprofile (node --cpu-prof) and lists where the time went: self time per function,
// with its file and line, the way a reader of docs/BENCHMARKS.md wants to see it.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface HotSpot {
  fn: string;
  where: string;
  selfPct: number;
  totalPct: number;
}

export function hotSpots(file: string, top = 15): HotSpot[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfHits = new Map<number, number>();
  for (const s of prof.samples) selfHits.set(s, (selfHits.get(s) ?? 0) + 1);
  const total = prof.samples.length || 1;
  const key = (n: Node) => `${n.callFrame.functionName || '(anonymous)'}\u0000${where(n)}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  // Inclusive time: each node's subtree, counted once per key on a path (recursion counts once).
  const walk = (id: number, onPath: Set<string>): number => {
    const n = byId.get(id)!;
    let sum = selfHits.get(id) ?? 0;
    const k = key(n);
    self.set(k, (self.get(k) ?? 0) + (selfHits.get(id) ?? 0));
    const fresh = !onPath.has(k);
    if (fresh) onPath.add(k);
    for (const c of n.children ?? []) sum += walk(c, onPath);
    if (fresh) {
      onPath.delete(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + sum);
    }
    return sum;
  };
  walk(prof.nodes[0].id, new Set());
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, hits]) => {
      const [fn, at] = k.split('\u0000');
      return { fn, where: at, selfPct: (100 * hits) / total, totalPct: (100 * (inclusive.get(k) ?? hits)) / total };
    });
}

const maps = new Map<string, SourceMap | undefined>();

/** The bundle's own source map turns out/bench/child.mjs:1234 back into src/chat/relay/relay.ts:260. */
function sourceMap(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    const mapFile = `${file}.map`;
    maps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload) : undefined);
  }
  return maps.get(file);
}

function where(n: Node): string {
  const url = n.callFrame.url;
  if (!url) return '';
  if (!url.startsWith('file://')) return `${url}:${n.callFrame.lineNumber + 1}`;
  const file = fileURLToPath(url);
  const entry = sourceMap(file)?.findEntry(n.callFrame.lineNumber, n.callFrame.columnNumber);
  if (entry && 'originalSource' in entry && entry.originalSource) {
    const src = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(file), entry.originalSource);
    return `${path.relative(process.cwd(), src)}:${entry.originalLine + 1}`;
  }
  return `${path.relative(process.cwd(), file)}:${n.callFrame.lineNumber + 1}`;
}

export function formatHotSpots(spots: HotSpot[]): string {
  return spots.map((s) => `${s.selfPct.toFixed(1).padStart(5)}% self ${s.totalPct.toFixed(1).padStart(5)}% total  ${s.fn}  ${s.where}`).join('\n');
}
