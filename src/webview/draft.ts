// What the composer says about a draft before it is sent. Pure, so the limits are unit-tested:
// the relay refuses messages over maxBytes UTF-8 bytes, and the reader should learn that while
// typing, not from a failed send. The rule and its wording are the engine's (common/message.ts).
import { fmtCount as fmt, textProblem, utf8Length } from '../common/message';

export { utf8Length };

export interface DraftCheck {
  canSend: boolean;
  bytes: number;
  /** "52,431 / 65,536 bytes" near or over the limit, '' otherwise. */
  count: string;
  /** Why it cannot be sent ('' when it can, or when the draft is simply empty). */
  problem: string;
}

/** Share of the limit from which the byte count is shown. */
export const SHOW_COUNT_FROM = 0.8;

export function checkDraft(text: string, maxBytes: number): DraftCheck {
  const bytes = utf8Length(text);
  const count = bytes >= maxBytes * SHOW_COUNT_FROM ? `${fmt(bytes)} / ${fmt(maxBytes)} bytes` : '';
  const problem = textProblem(text, bytes, maxBytes);
  if (problem?.code === 'TOO_LARGE') return { canSend: false, bytes, count, problem: `${problem.message} Remove ${fmt(bytes - maxBytes)} bytes.` };
  if (problem) return { canSend: false, bytes, count, problem: text === '' ? '' : problem.message };
  return { canSend: true, bytes, count, problem: '' };
}
