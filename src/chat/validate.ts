// Checks for what users type: names and HOST:PORT addresses. Shared by the CLI and the extension.
import { ChatError } from './errors';
import type { Address } from './types';
import { nameProblem, normalizeName } from '../common/names';

// The name rules (normal form, no invisible or bidi characters, no mixed scripts) live in
// common/names.ts, where the webview can use them too.
export { nameProblem, normalizeName };

export function checkName(name: string): string {
  const problem = nameProblem(name);
  if (problem) throw new ChatError('BAD_OPTION', problem);
  return name;
}

export function checkPort(value: string | number, what = 'port'): number {
  const port = typeof value === 'number' ? value : /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ChatError('BAD_OPTION', `The ${what} must be a whole number from 0 to 65535, not "${value}".`);
  }
  return port;
}

/** Parses `HOST:PORT`, `[v6]:PORT` or a bare `HOST` (with `defaultPort`). */
export function parseAddress(text: string, defaultPort?: number): Address {
  const s = text.trim();
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  let host: string;
  let port: string | undefined;
  if (v6) {
    host = v6[1];
    port = v6[2];
  } else {
    const colon = s.lastIndexOf(':');
    if (colon >= 0 && s.indexOf(':') !== colon) {
      throw new ChatError('BAD_OPTION', `Write an IPv6 address in brackets, as [${s}]:PORT.`);
    }
    host = colon >= 0 ? s.slice(0, colon) : s;
    port = colon >= 0 ? s.slice(colon + 1) : undefined;
  }
  if (!host || /\s/.test(host)) throw new ChatError('BAD_OPTION', `"${text}" is not an address: use HOST:PORT, for example 127.0.0.1:2410.`);
  if (port === undefined || port === '') {
    if (defaultPort === undefined) throw new ChatError('BAD_OPTION', `"${text}" has no port: use HOST:PORT, for example 127.0.0.1:2410.`);
    return { host, port: defaultPort };
  }
  return { host, port: checkPort(port) };
}

export function formatAddress(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
