// Messages signed by their author's device key (issue 8): a client signs what it sends, and checks
// every message it receives before it is shown, backfill included, so that neither another member
// nor the relay can put words in someone's mouth or alter what was said. What is signed is
// message-signature.ts's encoding of the room, the author's session id, the msgId, the kind and the
// whole body; the signature block (key and signature) travels in fragment 0's head.
import { fingerprint } from '../../protocol/fingerprint';
import { wireSigningInput } from '../../protocol/message-signature';
import { MESSAGE_AUTH_BYTES, type MessageHead } from '../../protocol/packets';
import type { Crypto, SigningKey, VerifyKey } from '../../protocol/crypto';

const KEY_BYTES = 32;
/** Keys kept ready to verify (and their fingerprints): a room's authors, not everyone ever met. */
const MAX_KEYS = 512;

/** The signature block for one outgoing message. */
export function signWire(key: SigningKey, roomId: bigint, sessionId: Buffer, msgId: number, head: MessageHead, text: Buffer): Buffer {
  const sig = key.sign(wireSigningInput({ roomId, author: sessionId, msgId, head, text }));
  const auth = Buffer.allocUnsafe(MESSAGE_AUTH_BYTES);
  auth.set(key.publicKey, 0);
  auth.set(sig, KEY_BYTES);
  return auth;
}

/** Who signed a message, or why it cannot be shown as anyone's. */
export type Check =
  | { ok: true; key: string; fingerprint: string }
  | { ok: false; reason: 'unsigned' | 'forged' };

interface Known {
  verify: VerifyKey;
  key: string;
  fingerprint: string;
}

export class SignatureChecker {
  private readonly keys = new Map<string, Known>();

  constructor(private readonly crypto: Crypto) {}

  check(roomId: bigint, author: Buffer, msgId: number, head: MessageHead, text: Buffer): Check {
    const auth = head.auth;
    if (!auth || auth.length !== MESSAGE_AUTH_BYTES) return { ok: false, reason: 'unsigned' };
    const k = this.known(auth.subarray(0, KEY_BYTES));
    let input: Uint8Array;
    try {
      input = wireSigningInput({ roomId, author, msgId, head, text });
    } catch {
      return { ok: false, reason: 'forged' };
    }
    if (!k.verify.verify(input, auth.subarray(KEY_BYTES))) return { ok: false, reason: 'forged' };
    return { ok: true, key: k.key, fingerprint: k.fingerprint };
  }

  private known(raw: Buffer): Known {
    const id = raw.toString('base64url');
    let k = this.keys.get(id);
    if (k) {
      this.keys.delete(id); // most recently used last
    } else {
      const publicKey = Uint8Array.from(raw);
      k = { verify: this.crypto.verifyKey(publicKey), key: id, fingerprint: fingerprint(this.crypto, publicKey) };
      if (this.keys.size >= MAX_KEYS) this.keys.delete(this.keys.keys().next().value!);
    }
    this.keys.set(id, k);
    return k;
  }
}
