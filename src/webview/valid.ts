// Items are checked once, where they enter the timeline: a malformed item (a host bug, or a
// version mismatch after an update) is dropped and reported instead of breaking every later
// render. Checks only what the renderer relies on; cheap enough for a 10,000-item snapshot.
import { type ChatItem, DELIVERY_STATES } from '../common/messages';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const STATES: ReadonlySet<string> = new Set(DELIVERY_STATES);

export function isChatItem(x: unknown): x is ChatItem {
  if (!isObject(x) || typeof x.key !== 'string' || typeof x.time !== 'number') return false;
  if (x.type === 'notice') return typeof x.text === 'string';
  if (x.type !== 'message') return false;
  const { sender, body } = x;
  if (!isObject(sender) || typeof sender.id !== 'string' || typeof sender.name !== 'string') return false;
  if (x.state !== undefined && !STATES.has(x.state as string)) return false;
  if (!isObject(body) || typeof body.text !== 'string') return false;
  if (!validExtras(x)) return false;
  if (body.kind === 'text') return true;
  if (body.kind === 'placeholder') return typeof body.reason === 'string';
  if (body.kind === 'file') return validFile(body.file);
  return (
    body.kind === 'snippet' &&
    typeof body.path === 'string' &&
    typeof body.startLine === 'number' &&
    typeof body.endLine === 'number' &&
    typeof body.language === 'string'
  );
}

/** What a file row reads of a file (the host checked the rest on receipt). */
function validFile(f: unknown): boolean {
  if (!isObject(f) || typeof f.id !== 'string' || typeof f.name !== 'string' || typeof f.mime !== 'string' || typeof f.size !== 'number') return false;
  return (f.width === undefined && f.height === undefined) || (typeof f.width === 'number' && typeof f.height === 'number' && f.width > 0 && f.height > 0);
}

/** A reply's target and the reactions, which rows and quotes read (names and emoji are drawn as text). */
function validExtras(x: Record<string, unknown>): boolean {
  const { reply, reactions } = x;
  if (reply !== undefined && !(isObject(reply) && typeof reply.key === 'string' && typeof reply.seq === 'number')) return false;
  if (reactions === undefined) return true;
  return Array.isArray(reactions) && reactions.every((r) =>
    isObject(r) && typeof r.emoji === 'string' && typeof r.mine === 'boolean' && Array.isArray(r.names) && r.names.every((n) => typeof n === 'string'));
}

/** The valid items; each invalid one is reported by key (or position) and left out. */
export function validItems(items: readonly unknown[], report: (message: string) => void): ChatItem[] {
  const ok: ChatItem[] = [];
  let bad = 0;
  for (const item of items) {
    if (isChatItem(item)) ok.push(item);
    else if (bad++ < 3) {
      const key = isObject(item) && typeof item.key === 'string' ? item.key : '(no key)';
      report(`Ignored a malformed chat item ${key}`);
    }
  }
  if (bad > 3) report(`Ignored ${bad} malformed chat items in all`);
  return ok;
}
