// After the kill -9 and the restart: a fresh ChatClient resumes the room just before the oldest
// message acknowledged before the kill, pulls everything from there from the restarted relay (which
// has only its store to go by), and every acknowledged message must come back with the seq, sender
// and text it was acknowledged with.
import { ChatClient } from '../../src/chat/client/client';
import type { Address, RoomMessage } from '../../src/chat/types';
import type { Sent } from './honest';

export interface RestartCheck {
  /** Honest messages acknowledged (delivered to their sender) before the kill. */
  acknowledged: number;
  /** Of those, not given back by the restarted relay, or given back different. */
  missing: number;
  examples: string[];
  /** Seqs the restarted relay said were gone (older than its history). */
  gone: number;
  /** ms from the restart until the verifier had everything up to the newest acknowledged seq. */
  ms: number;
  /** It got that far before its deadline (else `missing` counts what had not come back by then). */
  complete: boolean;
}

export async function checkAcknowledged(server: Address, roomId: string, acked: Sent[], host: string, timeoutMs: number): Promise<RestartCheck> {
  const t0 = performance.now();
  const seqs = acked.map((s) => s.seq!).filter((x) => x > 0);
  if (seqs.length === 0) return { acknowledged: 0, missing: 0, examples: [], gone: 0, ms: 0, complete: true };
  const from = Math.min(...seqs);
  const to = Math.max(...seqs);
  const bySeq = new Map<number, RoomMessage>();
  let newest = 0;
  let gone = 0;
  // Resuming needs a seq it "has": the one before the oldest (the soak's first message is never checked).
  const client = new ChatClient({ server, name: 'verifier', wantsRoster: false, resume: { roomId, lastSeq: Math.max(1, from - 1) }, bind: { host } });
  client.on('message', (m) => {
    bySeq.set(m.seq, m);
    newest = Math.max(newest, m.seq);
  });
  client.on('lost', (n) => (gone += n));
  client.on('warning', () => undefined);
  try {
    await client.start();
    const deadline = performance.now() + timeoutMs;
    while (newest < to && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  } catch {
    // a verifier that cannot join finds everything missing, which is reported
  } finally {
    await client.close();
  }
  const examples: string[] = [];
  let missing = 0;
  for (const s of acked) {
    const m = bySeq.get(s.seq!);
    if (m && m.sender.id === s.senderId && m.msgId === s.msgId && m.text === s.text) continue;
    missing++;
    if (examples.length < 3) examples.push(`seq ${s.seq} (msgId ${s.msgId} of ${s.senderId}): ${m ? `came back as msgId ${m.msgId} of ${m.sender.id}` : 'not given back'}`);
  }
  return { acknowledged: acked.length, missing, examples, gone, ms: performance.now() - t0, complete: newest >= to };
}
