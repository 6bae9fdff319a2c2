// The line under the message list (issue 13): "ann is typing…" on the left (a polite live region),
// "Seen by ann, bob" for the newest message on the right (its tooltip names everyone). It also says
// what this panel's person did: typing in the composer (at most once a second) and how far they have
// seen the room (the newest message in view while the panel is visible). Names come from the member
// list and reach the DOM as text only. The line keeps its height, so the list above never jumps.
import type { ChatItem, MemberView, SeenView, WebviewToHost } from '../common/messages';
import { newestSeqUpTo, newestSequenced, seenBy, seenCountText, seenText, Typists, typingText } from './activity';
import { el } from './dom';
import { visibleControls } from './markup';

const TYPING_POST_MS = 1000; // the client sends at most one a second anyway: no need to tell it more often

export class ActivityBar {
  readonly element = el('div', 'activity');
  private readonly typingLine = el('div', 'typing');
  private readonly seenLine = el('div', 'seen-by');
  private readonly typists = new Typists();
  private readonly seen = new Map<string, number>();
  private members: readonly MemberView[] = [];
  private fadeTimer: ReturnType<typeof setTimeout> | undefined;
  private typedAt = -Infinity;
  private seenSent = 0;
  private seenKey = '';
  /** A room of more than 50: the relay's count instead of names. */
  private seenCount: { seq: number; count: number } | undefined;

  constructor(
    private readonly post: (msg: WebviewToHost) => void,
    private readonly items: () => readonly ChatItem[],
  ) {
    this.typingLine.setAttribute('aria-live', 'polite');
    this.element.append(this.typingLine, this.seenLine);
  }

  /** The person typed in the composer. */
  typed(): void {
    const now = performance.now();
    if (now - this.typedAt < TYPING_POST_MS) return;
    this.typedAt = now;
    this.post({ type: 'typing' });
  }

  /** The reader can see items up to index `last`: if the panel is visible, the newest of them is seen. */
  shown(last: number, visible: boolean): void {
    if (!visible || document.visibilityState !== 'visible') return;
    const seq = newestSeqUpTo(this.items(), last);
    if (seq === undefined || seq <= this.seenSent) return;
    this.seenSent = seq;
    this.post({ type: 'seen', seq });
  }

  setMembers(members: readonly MemberView[]): void {
    this.members = members;
    this.render();
  }

  /** A snapshot: what each member has seen so far (a new room starts from nothing). */
  reset(seen: readonly SeenView[] | undefined, count?: { seq: number; count: number }): void {
    this.seen.clear();
    this.seenCount = count;
    for (const s of seen ?? []) this.setSeen(s.id, s.seq, false);
    this.seenSent = 0; // the host forwards only increases: saying it again costs nothing
    this.render();
  }

  typing(id: string): void {
    if (typeof id !== 'string') return; // the host's messages are checked like everything else
    this.typists.typed(id, performance.now());
    this.render();
  }

  setSeen(id: string, seq: number, render = true): void {
    if (typeof id !== 'string' || !Number.isInteger(seq) || seq <= (this.seen.get(id) ?? 0)) return;
    this.seen.set(id, seq);
    if (render) this.render();
  }

  /** A room of more than 50: `count` members have seen it up to `seq`. */
  setSeenCount(seq: number, count: number): void {
    if (!Number.isInteger(seq) || !Number.isInteger(count) || count < 0) return;
    this.seenCount = { seq, count };
    this.render();
  }

  /** New messages arrived: their senders are done typing them, and "Seen by" is about the newest. */
  arrived(added: readonly ChatItem[]): void {
    for (const i of added) if (i.type === 'message' && !i.own) this.typists.spoke(i.sender.id);
    this.render();
  }

  report(): { typing: string; seenBy?: { key: string; text: string; title: string } } {
    const text = this.seenLine.textContent ?? '';
    return { typing: this.typingLine.textContent ?? '', seenBy: text ? { key: this.seenKey, text, title: this.seenLine.title } : undefined };
  }

  render(): void {
    const now = performance.now();
    const names = this.typists.current(now).flatMap((id) => this.members.filter((m) => m.id === id && !m.self).map((m) => m.name));
    setText(this.typingLine, typingText(names));
    clearTimeout(this.fadeTimer);
    const fade = this.typists.nextFade(now);
    this.fadeTimer = fade === undefined ? undefined : setTimeout(() => this.render(), fade + 20);
    const newest = newestSequenced(this.items());
    const who = newest?.seq === undefined ? undefined : seenBy(this.seen, newest.seq, this.members, newest.sender.id);
    const c = this.seenCount;
    const { text, title } = who?.length || !c || !newest || newest.seq === undefined || c.seq < newest.seq || c.count === 0 ? seenText(who ?? []) : seenCountText(c.count);
    this.seenKey = text && newest ? newest.key : '';
    setText(this.seenLine, text);
    const tip = visibleControls(title);
    if (this.seenLine.title !== tip) this.seenLine.title = tip;
  }
}

/** Writes only on a change: a live region re-reads a line whose text is set again. */
function setText(node: HTMLElement, text: string): void {
  const shown = visibleControls(text);
  if (node.textContent !== shown) node.textContent = shown;
}
