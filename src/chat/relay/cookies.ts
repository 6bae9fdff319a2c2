// Address validation cookies (like QUIC's Retry token): an HMAC of the address and a time bucket,
// so the relay keeps no state for an address until it has proved it receives what is sent to it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { COOKIE_BYTES } from '../../protocol/packets';

export class CookieJar {
  private readonly secret = randomBytes(32);

  constructor(private readonly lifetimeMs: number) {}

  private mac(addr: string, bucket: number): Buffer {
    return createHmac('sha256', this.secret).update(`${addr}|${bucket}`).digest().subarray(0, COOKIE_BYTES);
  }

  mint(addr: string, now: number): Buffer {
    return this.mac(addr, Math.floor(now / this.lifetimeMs));
  }

  /** Valid for the bucket it was minted in and the one after, so a cookie lives 1-2 lifetimes. */
  check(addr: string, cookie: Buffer, now: number): boolean {
    if (cookie.length !== COOKIE_BYTES) return false;
    const bucket = Math.floor(now / this.lifetimeMs);
    return timingSafeEqual(cookie, this.mac(addr, bucket)) || timingSafeEqual(cookie, this.mac(addr, bucket - 1));
  }
}
