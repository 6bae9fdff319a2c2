// Answers `inspect`: what the reader sees, read back from rendered rows (not from our data), so
// the integration tests and the benchmark check the real output of the DOM builder.
import type { RenderReport, RowDetail } from '../common/messages';
import { verifiedLabels } from './members';
import type { Timeline } from './timeline';

const LAST_ROWS = 10;
const ACTIVE_TAGS = new Set(['SCRIPT', 'IFRAME', 'FRAME', 'OBJECT', 'EMBED']);
const URL_ATTRIBUTES = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data'];

/** Elements that could run script in `roots` (and their open shadow roots), except our own `<script>`. */
export function countActiveContent(roots: Iterable<Element>, ownScripts: ReadonlySet<Element>): number {
  let count = 0;
  const visit = (node: Element): void => {
    if (ACTIVE_TAGS.has(node.tagName.toUpperCase()) && !ownScripts.has(node)) count++;
    for (const attr of node.attributes) {
      if (attr.name.toLowerCase().startsWith('on')) count++;
      // Browsers ignore whitespace and control characters before a scheme: "java\tscript:" runs too.
      else if (URL_ATTRIBUTES.includes(attr.name.toLowerCase()) && /^javascript:/i.test(attr.value.replace(/[\u0000-\u0020]/g, ''))) count++;
    }
    for (const child of node.children) visit(child);
    if (node.shadowRoot) for (const child of node.shadowRoot.children) visit(child);
  };
  for (const root of roots) visit(root);
  return count;
}

/** "name: text" as rendered: block children are separate lines, a snippet shows its header first. */
export function rowText(row: Element): string {
  const who = row.querySelector('.who')?.textContent ?? '';
  const body = row.querySelector('.body');
  const blocks = body ? [...body.children].map((b) => blockText(b)) : [];
  return `${who}: ${blocks.join('\n')}`;
}

function blockText(block: Element): string {
  const code = block.querySelector('pre')?.textContent;
  if (code === undefined) return block.textContent ?? '';
  const head = block.querySelector('.snippet-path')?.textContent;
  return head === undefined ? code : `${head}\n${code}`;
}

/** What a row shows beside "name: text" (row-extras.ts draws it). */
export function rowDetail(row: HTMLElement): RowDetail {
  const quote = row.querySelector('.quote');
  return {
    key: row.dataset.key ?? '',
    ...(quote ? { quote: [...quote.children].map((c) => c.textContent ?? '').join(': ') } : {}),
    edited: row.querySelector('.edited-label') !== null,
    deleted: row.querySelector('.deleted-text') !== null,
    reactions: [...row.querySelectorAll<HTMLElement>('.chip')].map((c) => ({ label: c.textContent ?? '', title: c.title, pressed: c.getAttribute('aria-pressed') === 'true' })),
    actions: [...row.querySelectorAll<HTMLElement>('.row-tools [data-command]')].map((b) => b.dataset.command ?? ''),
  };
}

export interface ReportParts {
  timeline: Timeline;
  bannerText: string;
  memberNames: string[];
  ownScripts: ReadonlySet<Element>;
  snapshotRenderMs?: number;
  appendRenderMs?: number;
}

export function buildReport(p: ReportParts): RenderReport {
  const rows: HTMLElement[] = [];
  for (let i = p.timeline.length - 1; i >= 0 && rows.length < LAST_ROWS; i--) {
    if (p.timeline.at(i).type === 'message') rows.unshift(p.timeline.rowElement(i));
  }
  const detached = rows.filter((r) => !r.isConnected);
  return {
    itemCount: p.timeline.length,
    lastRows: rows.map(rowText),
    lastDetails: rows.map(rowDetail),
    lastStates: rows.flatMap((r) => {
      const label = r.querySelector('.state-label')?.textContent;
      return label ? [label] : [];
    }),
    bannerText: p.bannerText,
    roomState: document.querySelector('.room-state')?.textContent ?? '',
    memberNames: p.memberNames,
    verifiedMembers: verifiedLabels(document),
    activeContent: countActiveContent([document.documentElement, ...detached], p.ownScripts),
    hasUnreadDivider: p.timeline.hasUnread,
    snapshotRenderMs: p.snapshotRenderMs,
    appendRenderMs: p.appendRenderMs,
  };
}
