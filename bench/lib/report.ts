// The table a reader sees (measure | value | target | met?) and the JSON beside it.

export interface Row {
  measure: string;
  value: string;
  target: string;
  /** true / false against the target; null when there is no target (a figure for context). */
  met: boolean | null;
  notMeasured?: string;
}

export function row(measure: string, value: string, target = '', met: boolean | null = null): Row {
  return { measure, value, target, met };
}

export function notMeasured(measure: string, why: string, target = ''): Row {
  return { measure, value: `not measured: ${why}`, target, met: null, notMeasured: why };
}

const metText = (r: Row) => (r.notMeasured !== undefined ? (r.target ? 'n/a' : '') : r.met === null ? '' : r.met ? 'yes' : 'NO');

export function table(rows: Row[]): string {
  const cells = [['measure', 'value', 'target', 'met?'], ...rows.map((r) => [r.measure, r.value, r.target, metText(r)])];
  const width = [0, 1, 2, 3].map((c) => Math.min(c === 1 ? 70 : 60, Math.max(...cells.map((r) => r[c].length))));
  const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(width[i])).join(' | ')} |`;
  return [line(cells[0]), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

/** The same table in Markdown, for docs/BENCHMARKS.md. */
export function markdown(rows: Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return ['| measure | value | target | met? |', '|---|---|---|---|', ...rows.map((r) => `| ${esc(r.measure)} | ${esc(r.value)} | ${esc(r.target)} | ${metText(r)} |`)].join('\n');
}

export const ms = (x: number, digits = 2): string => (Number.isFinite(x) ? `${x.toFixed(digits)} ms` : 'n/a');
export const pct = (x: number, digits = 1): string => `${(100 * x).toFixed(digits)}%`;
export const num = (x: number): string => Math.round(x).toLocaleString('en-US');
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
