// A sealed room's content, on the client only (issue 9): what a member sends is sealed with the room's
// key before it is signed, and what it receives is opened after its signature checked out, so the
// relay sequences, stores and backfills what it cannot read. The header the relay needs (room,
// author session, msgId) is bound as associated data: content moved to another room, author or msgId
// does not open. A message that does not open is a placeholder that says so, never garbage.
import type { PlaceholderBody } from '../../common/message';
import type { Crypto } from '../../protocol/crypto';
import type { MessageBody, MessageHead, SendableBody } from '../../protocol/packets';
import { decodeContent, encodeContent, SEALED_KIND, sealedBytes, sealedText } from '../../protocol/sealed-content';
import { RoomKey } from '../../protocol/sealed-room';

/** What a member without the room's key (or with another room's) is shown. */
export const cannotOpen = (): PlaceholderBody => ({ kind: 'placeholder', text: '', reason: "can't read this message: it was sealed with a key you don't have" });

/** Throws ProtocolError when a message is too long to be sealed (sealing takes a third more room). */
export function checkSealable(body: SendableBody): void {
  encodeContent(body);
}

/** Whether a message's head says its bytes are sealed content. */
export const isSealed = (h: MessageHead): boolean => h.kind === 'other' && h.code === SEALED_KIND;

export class RoomSeal {
  /** Epoch 0: rotation, which moves a room to a new secret and epoch, is not built. */
  private readonly key: RoomKey;

  constructor(crypto: Crypto, secret: Uint8Array) {
    this.key = new RoomKey(crypto, secret, 0);
  }

  /** The head and message bytes that carry `body` sealed, for this room, author and msgId. */
  seal(roomId: bigint, author: Buffer, msgId: number, body: SendableBody): { head: MessageHead; text: Buffer } {
    const text = sealedText(this.key.seal({ roomId, author, msgId }, encodeContent(body)));
    return { head: { kind: 'other', code: SEALED_KIND, totalBytes: text.length }, text };
  }

  /** The message in sealed bytes, or why it cannot be shown. */
  open(roomId: bigint, author: Buffer, msgId: number, text: Buffer): MessageBody {
    const sealed = sealedBytes(text);
    const content = sealed && this.key.open({ roomId, author, msgId }, sealed);
    if (!content) return cannotOpen();
    try {
      return decodeContent(content);
    } catch {
      return cannotOpen(); // sealed by a member who holds the key and wrote nonsense: still not shown
    }
  }
}
