// Which network interfaces discovery uses, and which one an address belongs to. Pure functions over
// a snapshot of os.networkInterfaces(), so the rules (loopback never, a relay bound to one address
// only there) are tested without a network. IPv4 only: directed broadcast has no IPv6 form, and the
// mDNS answers carry A records.
import { isIPv4, isIPv6 } from 'node:net';

export interface NetInterface {
  /** The system's name for it: eth0, wlan0, en0. */
  name: string;
  address: string;
  netmask: string;
  internal: boolean;
}

export type InterfaceTable = NodeJS.Dict<{ address: string; netmask: string; family: string | number; internal: boolean }[]>;

/** The IPv4 addresses of a table from os.networkInterfaces(), one entry per address. */
export function ipv4Interfaces(table: InterfaceTable): NetInterface[] {
  const out: NetInterface[] = [];
  for (const [name, addrs] of Object.entries(table)) {
    for (const a of addrs ?? []) {
      if ((a.family === 'IPv4' || a.family === 4) && isIPv4(a.address)) out.push({ name, address: a.address, netmask: a.netmask, internal: a.internal });
    }
  }
  return out;
}

function toInt(ip: string): number {
  return ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}

/** Whether `address` is on the interface's subnet (its own address included). */
export function onLink(address: string, iface: NetInterface): boolean {
  if (!isIPv4(address)) return false;
  const mask = toInt(iface.netmask);
  return ((toInt(address) & mask) >>> 0) === ((toInt(iface.address) & mask) >>> 0);
}

/** The interface an address was seen on: its own, or the first whose subnet holds it. */
export function interfaceFor(address: string, ifaces: readonly NetInterface[]): NetInterface | undefined {
  return ifaces.find((i) => i.address === address) ?? ifaces.find((i) => onLink(address, i));
}

/** The directed-broadcast address of the interface's subnet; none for /31 and /32, which have no broadcast. */
export function broadcastAddress(iface: NetInterface): string | undefined {
  const mask = toInt(iface.netmask);
  if ((~mask >>> 0) < 3) return undefined;
  return toIp(((toInt(iface.address) & mask) | ~mask) >>> 0);
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || (isIPv4(host) && host.startsWith('127.')) || host === '::1' || /^::ffff:127\./i.test(host);
}

export type AnnounceTargets = { ok: true; interfaces: NetInterface[] } | { ok: false; reason: string };

/** Where a relay bound to `host` is announced: every interface but loopback for a wildcard bind, the
 * one that holds the address otherwise, and nowhere for loopback (it cannot be reached from another
 * machine, so announcing it would only invite connections that fail). */
export function announceTargets(host: string, ifaces: readonly NetInterface[]): AnnounceTargets {
  if (isLoopback(host)) return { ok: false, reason: `a relay on ${host} can only be reached from this machine` };
  const external = ifaces.filter((i) => !i.internal);
  if (host === '0.0.0.0' || host === '::') {
    return external.length > 0 ? { ok: true, interfaces: external } : { ok: false, reason: 'this machine has no network interface but loopback' };
  }
  if (isIPv6(host)) return { ok: false, reason: `announcing an IPv6-only relay (${host}) is not supported yet; listen on 0.0.0.0 or an IPv4 address` };
  const own = external.filter((i) => i.address === host);
  return own.length > 0 ? { ok: true, interfaces: own } : { ok: false, reason: `${host} is not an address of a network interface here` };
}
