// Where a joining client starts, and what a Resend gets: pure answers from the room's history, which
// the relay turns into Welcome, Msg and Gone datagrams.
import type { Hello } from '../../protocol/packets';

/** Seqs served per Resend request. */
export const MAX_RESEND_SPAN = 64;

/** What of the room these answers read. */
export interface History {
  readonly roomId: bigint;
  readonly headSeq: number;
  readonly firstSeq: number;
  history(seq: number): Buffer[] | undefined;
  holds(seq: number): boolean;
}

/** Where a joining client should start: just after what it has, or the recent history. */
export function resumePoint(p: Pick<Hello, 'roomId' | 'lastSeq'>, room: History, backfillMessages: number): { fromSeq: number; lostCount: number } {
  const head = room.headSeq;
  const first = room.firstSeq;
  if (p.roomId === room.roomId && p.lastSeq > 0 && p.lastSeq <= head) {
    const from = p.lastSeq + 1;
    return from >= first ? { fromSeq: from, lostCount: 0 } : { fromSeq: first, lostCount: first - from };
  }
  return { fromSeq: Math.max(first, head - backfillMessages + 1, 1), lostCount: 0 };
}

export type ResendPart = { kind: 'gone'; fromSeq: number; toSeq: number } | { kind: 'message'; seq: number; frags: Buffer[] };

/** The answer to Resend [fromSeq, toSeq], in seq order, at most MAX_RESEND_SPAN seqs: the datagrams
 * of each message still held, and Gone for what is not: older than the history, or missing inside
 * it (lost with a damaged store), so that a member never waits for what will not come. */
export function resendPlan(room: History, fromSeq: number, toSeq: number): ResendPart[] {
  const out: ResendPart[] = [];
  const to = Math.min(toSeq, room.headSeq, fromSeq + MAX_RESEND_SPAN - 1);
  const first = room.firstSeq;
  if (fromSeq < first) out.push({ kind: 'gone', fromSeq, toSeq: Math.min(first - 1, toSeq) });
  for (let seq = Math.max(fromSeq, first); seq <= to; seq++) {
    const frags = room.history(seq);
    if (frags) {
      out.push({ kind: 'message', seq, frags });
      continue;
    }
    let end = seq;
    while (end < to && !room.holds(end + 1)) end++;
    out.push({ kind: 'gone', fromSeq: seq, toSeq: end });
    seq = end;
  }
  return out;
}
