// Pure conversions from the engine's vocabulary to what the webview shows, plus the mention test.
// No `vscode` and no state: the session and the tests call them directly.
import { type Address, type ConnectionState, type DeliveryState, type Member, type MessageBody, type RoomMessage, formatAddress } from '../chat';
import type { ChatItem, ConnectionView, DeliveryStateView, MemberView } from '../common/messages';
import { controlClass } from '../common/control';
import type { StoredEntry } from './history';

// The engine's delivery states (src/chat/types.ts) are the panel's list (DELIVERY_STATES): the engine
// cannot import what the webview imports, so this line is what keeps them one list. A state added on
// one side only stops the build here.
const sameStates: [DeliveryState, DeliveryStateView] extends [DeliveryStateView, DeliveryState] ? true : never = true;
void sameStates;

/** The body alone: a RoomMessage carries seq, sender and so on beside it. */
export function messageBody(m: RoomMessage | MessageBody): MessageBody {
  if (m.kind === 'placeholder') return m.code === undefined ? { kind: 'placeholder', text: '', reason: m.reason } : { kind: 'placeholder', text: '', reason: m.reason, code: m.code };
  if (m.kind === 'file') return { kind: 'file', text: m.text, file: { ...m.file } };
  return m.kind === 'snippet'
    ? { kind: 'snippet', text: m.text, path: m.path, startLine: m.startLine, endLine: m.endLine, language: m.language }
    : m.kind === 'text' && m.replyTo !== undefined
      ? { kind: 'text', text: m.text, replyTo: m.replyTo }
      : { kind: 'text', text: m.text };
}

/** What the conversation knows beside the entry: the key its reply's original has here, whether it
 * is a message of the current room, this device's key, and whether that key wrote it (and may edit it). */
export interface ItemContext {
  replyKey?: string;
  current: boolean;
  selfKey?: string;
  mine?: boolean;
}

export function itemOf(entry: StoredEntry, key: string, ctx: ItemContext = { current: false }): ChatItem {
  const body = entry.body;
  const shown = entry.seq !== undefined && body.kind !== 'placeholder' && !entry.deleted;
  return {
    type: 'message',
    key,
    seq: entry.seq,
    time: entry.time,
    sender: entry.sender,
    body: entry.body,
    own: entry.own,
    ...(entry.own ? { state: entry.state ?? 'delivered' } : {}),
    ...(entry.error ? { error: entry.error } : {}),
    ...(body.kind === 'text' && body.replyTo !== undefined && ctx.replyKey ? { reply: { seq: body.replyTo, key: ctx.replyKey } } : {}),
    ...(entry.edited ? { edited: true } : {}),
    ...(entry.deleted ? { deleted: true } : {}),
    ...(entry.reactions?.length
      ? { reactions: entry.reactions.map((r) => ({ emoji: r.emoji, names: r.by.map((b) => b.name), mine: r.by.some((b) => b.key === ctx.selfKey) })) }
      : {}),
    ...(shown && ctx.current ? { respond: true } : {}),
    ...(shown && ctx.current && ctx.mine ? { mine: true } : {}),
  };
}

export function connectionView(state: ConnectionState | undefined, relay: Address | string, sealed = false): ConnectionView {
  const view = bareConnectionView(state, relay);
  return sealed ? { ...view, sealed: true } : view;
}

function bareConnectionView(state: ConnectionState | undefined, relay: Address | string): ConnectionView {
  const where = typeof relay === 'string' ? relay : formatAddress(relay);
  switch (state?.state) {
    case undefined:
      return { state: 'offline', relay: where, reason: 'Not connected yet.' };
    case 'connecting':
      return { state: 'connecting', relay: where };
    case 'connected':
      return { state: 'connected', relay: where };
    case 'reconnecting':
      return { state: 'reconnecting', relay: where, reason: state.reason };
    case 'offline':
      return { state: 'offline', relay: where, reason: state.reason };
    case 'closed':
      return { state: 'offline', relay: where, reason: 'Disconnected.' };
    default: {
      const _exhaustive: never = state;
      return _exhaustive;
    }
  }
}

export function memberViews(members: Member[], selfId: string, newKeys?: ReadonlySet<string>, verified?: ReadonlySet<string>): MemberView[] {
  return members.map((m) => ({
    memberId: m.memberId, id: m.id, name: m.name, presence: m.presence, self: m.id === selfId,
    ...(m.fingerprint ? { fingerprint: m.fingerprint } : {}),
    ...(newKeys?.has(m.id) ? { newKey: true } : {}),
    // A session flagged for a new key is never shown verified, whatever a later check said.
    ...(verified?.has(m.id) && !newKeys?.has(m.id) ? { verified: true } : {}),
  }));
}

/** The pattern for the last name asked about: every arriving message is tested against the same
 * name, and building a Unicode-aware pattern per message was a measurable share of a backfill. */
let mention: { name: string; pattern: RegExp } | undefined;

/** Whether `text` says @name: case-insensitive, and not inside a longer word or address. */
export function mentions(text: string, name: string): boolean {
  if (!name) return false;
  if (mention?.name !== name) {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    mention = { name, pattern: new RegExp(`(?<![\\p{L}\\p{N}_@.])@${escaped}(?![\\p{L}\\p{N}_])`, 'iu') };
  }
  return mention.pattern.test(text);
}

/** A one-line summary of a message for a notification: `name: text`, or `name (unverified): text` for
 * a legacy (seed) sender, whose name anyone on the network can claim. */
export function preview(m: RoomMessage, max = 160): string {
  const what = m.kind === 'snippet' ? `${m.path}:${m.startLine} ${m.text}` : m.kind === 'placeholder' ? `[not shown: ${m.reason}]` : m.kind === 'file' ? `[${m.file.mime.startsWith('image/') ? 'image' : 'file'}: ${m.file.name}] ${m.text}` : m.text;
  const flat = plain(`${m.sender.name}${m.sender.legacy ? ' (unverified)' : ''}: ${what}`);
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const CONTROL_RUNS = new RegExp(`[${controlClass()}]+`, 'gu');

/** Peer text made safe for a VS Code notification: one line, and no links. */
export function plain(text: string): string {
  // Control characters (terminal escapes, line breaks) out, so a notification is one plain line.
  const flat = text.replace(CONTROL_RUNS, ' ').trim();
  // VS Code turns `[label](command:...)` in a notification into a link that runs the command: peer
  // text must never become one, so the `](` that would join label and target is broken apart.
  return flat.replace(/\]\s*\(/g, '] (');
}
