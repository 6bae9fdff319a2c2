// What a line of `whatsudp chat`'s standard input means when commands are on (standard input is a
// terminal, or --commands): a line that starts with "/" is a command, "//" sends a line that starts
// with "/", anything else is a message. Piped lines stay messages unless --commands is given, as
// the README promises. An unknown command sends nothing and says so.
import type { SendableBody } from '../common/message';

export const COMMANDS_HELP = [
  'commands (a line starting with "/"; "//" sends a line that starts with "/"):',
  '  /reply SEQ TEXT     answer message #SEQ',
  '  /react SEQ EMOJI    react to message #SEQ; /unreact SEQ EMOJI takes it back',
  '  /edit SEQ TEXT      replace the text of your message #SEQ',
  '  /delete SEQ         delete your message #SEQ',
  '  /help               this list',
  'SEQ is the number --seq prints before each message (and --json has as "seq").',
];

export type Command = { send: SendableBody } | { help: true } | { error: string };

const SEQ = /^#?(\d{1,10})$/;

/** The message a line sends (`commands` off: always the line itself). */
export function lineToCommand(line: string, commands: boolean): Command {
  if (!commands || !line.startsWith('/')) return { send: { kind: 'text', text: line } };
  if (line.startsWith('//')) return { send: { kind: 'text', text: line.slice(1) } };
  const m = /^\/(\S+)\s*(.*)$/s.exec(line);
  const [name, rest] = [m?.[1] ?? '', m?.[2] ?? ''];
  const [seqWord, ...words] = rest.split(/\s+/);
  const seq = SEQ.exec(seqWord ?? '');
  const to = seq ? Number(seq[1]) : 0;
  const text = rest.slice((seqWord ?? '').length).replace(/^\s+/, '');
  const needSeq = (usage: string): Command => ({ error: `usage: ${usage} (SEQ is a message's number, as --seq shows it)` });
  switch (name) {
    case 'help':
      return { help: true };
    case 'reply':
      if (!to || text === '') return needSeq('/reply SEQ TEXT');
      return { send: { kind: 'text', text, replyTo: to } };
    case 'react':
    case 'unreact':
      if (!to || words.length !== 1) return needSeq(`/${name} SEQ EMOJI`);
      return { send: { kind: 'reaction', text: '', to, emoji: words[0], remove: name === 'unreact' } };
    case 'edit':
      if (!to || text === '') return needSeq('/edit SEQ TEXT');
      return { send: { kind: 'edit', text, to } };
    case 'delete':
      if (!to || words.length > 0) return needSeq('/delete SEQ');
      return { send: { kind: 'delete', text: '', to } };
    default:
      return { error: `unknown command "/${name}": nothing sent (/help lists the commands; "//" sends a line that starts with "/")` };
  }
}
