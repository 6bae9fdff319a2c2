// The number flags of `whatsudp relay` and `whatsudp chat`, taken from the engine's options tables
// (src/chat/options.ts) so that the parser, the check and --help cannot disagree about a flag.
import { CLIENT_TIMER_OPTIONS, RELAY_LIMIT_OPTIONS, RELAY_TIMER_OPTIONS, showDefault, type NumberOption, type OptionTable } from '../chat';

export interface NumberFlag {
  /** Without the dashes: `backfill`. */
  flag: string;
  /** Where the value goes: `limits.backfillMessages`, or a key of ChatArgs or DiscoverArgs. */
  group: 'limits' | 'timers' | 'chat' | 'discover';
  key: string;
  option: NumberOption;
}

function flagsOf(table: OptionTable, group: NumberFlag['group']): NumberFlag[] {
  return Object.entries(table).flatMap(([key, option]) => (option.flag ? [{ flag: option.flag, group, key, option }] : []));
}

export const RELAY_NUMBER_FLAGS: readonly NumberFlag[] = [...flagsOf(RELAY_LIMIT_OPTIONS, 'limits'), ...flagsOf(RELAY_TIMER_OPTIONS, 'timers')];

/** `chat`'s own numbers beside the client's: how long to wait at the end of stdin is the CLI's business. */
export const CHAT_OPTIONS = {
  waitMs: { default: 10_000, min: 0, max: 3_600_000, flag: 'wait-ms', help: 'at the end of stdin, wait at most this long for delivery', unit: 'ms' },
  joinTimeoutMs: CLIENT_TIMER_OPTIONS.joinTimeoutMs,
} as const satisfies OptionTable;

export const CHAT_NUMBER_FLAGS: readonly NumberFlag[] = flagsOf(CHAT_OPTIONS, 'chat');

/** `discover` listens this long: the first answers come at once, later ones cover a lost datagram
 * (it asks again after 1.1 s and 3.3 s), and a script waits no longer than it must. */
export const DISCOVER_OPTIONS = {
  timeoutMs: { default: 3000, min: 100, max: 3_600_000, flag: 'timeout-ms', help: 'how long to listen for relays', unit: 'ms' },
} as const satisfies OptionTable;

export const DISCOVER_NUMBER_FLAGS: readonly NumberFlag[] = flagsOf(DISCOVER_OPTIONS, 'discover');

/** Help lines for number flags: `  --flag N` padded to `width`, the help, and the default as `style` puts it. */
export function flagLines(flags: readonly NumberFlag[], width: number, style: 'brackets' | 'words'): string {
  return flags
    .map(({ flag, option }) => {
      const value = showDefault(option);
      const text = style === 'brackets' ? `${option.help} [${value}]` : `${option.help} (default ${value})`;
      return `  ${`--${flag} N`.padEnd(width)}${text}`;
    })
    .join('\n');
}
