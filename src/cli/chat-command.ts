// `whatsudp chat`: stdin lines become messages, the room's messages go to stdout in room order, and
// everything about the connection goes to stderr, so `... | whatsudp chat --name bot` is scriptable:
// its exit code says whether every line reached the room.
import path from 'node:path';
import { ChatClient, RelayKeyChangedError } from '../chat';
import { conflictText, FileStore, NameWatch } from '../chat/identity';
import { nodeCrypto } from '../protocol/crypto';
import type { OutgoingMessage } from '../chat';
import { formatAddress } from '../chat';
import type { ChatArgs } from './args';
import { isAction } from '../common/message';
import { Thread } from '../common/thread';
import { COMMANDS_HELP, lineToCommand } from './commands';
import { escapeName, firstLine, formatAction, formatMessage, jsonLine, messageJson, replyLine } from './format';
import { EXIT } from './help';
import { MessageLines } from './input';
import { bounded, errorLine, exitCodeFor, sleep, type Io, type Session } from './session';

export function startChat(args: ChatArgs, io: Io): Session {
  const client = new ChatClient({
    server: args.server,
    name: args.name,
    timers: { joinTimeoutMs: args.joinTimeoutMs },
    identityStore: new FileStore(args.identity),
    relayPins: new FileStore(path.join(path.dirname(args.identity), 'known_relays')),
    acceptRelayKey: args.acceptRelayKey,
    ...(args.invite ? { roomSecret: args.invite.secret, relayFingerprints: args.invite.fingerprints } : {}),
  });
  if (args.note) io.err(`whatsudp: note: ${args.note}`);
  let over = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const end = (code: number): void => {
    over = true;
    lines.close();
    finish(code);
  };

  // Own messages are acknowledged (delivered, with a seq) a moment before the room's copy reaches us;
  // the end of input waits for that copy too, so a script's own lines show in its output.
  let printedSeq = 0;
  let ownSeq = 0;
  const failed = new Map<number, OutgoingMessage>();
  const reported = new Set<number>();
  const reportUndelivered = (o: OutgoingMessage): void => {
    if (reported.has(o.msgId)) return;
    reported.add(o.msgId);
    io.err(`whatsudp: not delivered: "${firstLine(o.body)}"${o.error ? ` (${o.error.replace(/\.$/, '')})` : ''}`);
  };

  // What replies, reactions, edits and deletes refer to, as this reader has it (common/thread.ts).
  const thread = new Thread();
  client.on('message', (msg, { backfill }) => {
    printedSeq = Math.max(printedSeq, msg.seq);
    const change = thread.add({ seq: msg.seq, sender: msg.sender, verified: msg.verified, body: msg });
    if (args.json) return io.out(jsonLine(messageJson(msg, backfill)));
    let text = isAction(msg) ? formatAction(msg.sender.name, msg, change) : formatMessage(msg.sender.name, msg, msg.sender.legacy);
    if (msg.kind === 'text' && msg.replyTo !== undefined) text += `\n${replyLine(msg.replyTo, thread.get(msg.replyTo))}`;
    io.out(args.seq ? `#${msg.seq} ${text}` : text);
  });
  client.on('delivery', (o) => {
    if (o.state === 'delivered' && o.seq !== undefined) ownSeq = Math.max(ownSeq, o.seq);
    if (o.state === 'failed') {
      failed.set(o.msgId, o);
      reportUndelivered(o);
    } else failed.delete(o.msgId); // retried
  });
  let joinedOnce = false;
  client.on('state', (s) => {
    if (over) return;
    switch (s.state) {
      case 'connecting':
      case 'closed':
        break;
      case 'connected':
        io.err(joinedOnce ? '* back in the room' : `* joined the ${args.invite ? `sealed room ${args.invite.room}` : 'room'} at ${formatAddress(args.server)} as ${escapeName(args.name)}`);
        joinedOnce = true;
        break;
      case 'reconnecting':
        io.err(`* lost the relay (${escapeName(s.reason)}); rejoining`);
        break;
      case 'offline':
        io.err(`* offline: ${escapeName(s.reason)}`);
        break;
      default: {
        const _exhaustive: never = s;
      }
    }
  });
  client.on('joined', (m) => {
    if (m.id !== client.clientId) io.err(`* ${escapeName(m.name)} joined`);
  });
  // Names are labels, keys are identity: a name seen before under other keys is said, each time.
  const namePins = new FileStore(path.join(path.dirname(args.identity), 'known_members'));
  const names = new NameWatch(
    nodeCrypto,
    namePins,
    client.clientId,
    (conflicts) => {
      if (!over) for (const c of conflicts) io.err(`* warning: ${escapeName(conflictText(c))}`);
    },
    (err) => io.err(`whatsudp: warning: cannot check names against ${namePins.where}: ${escapeName(err.message)}`),
  );
  client.on('members', (list) => names.check(list));
  client.on('left', (m) => {
    if (m.id !== client.clientId) io.err(`* ${escapeName(m.name)} left`);
  });
  client.on('lost', (count, range) => {
    io.err(`* ${count} message${count === 1 ? '' : 's'} could not be recovered (seq ${range.fromSeq}-${range.toSeq}: older than the relay's history)`);
  });
  client.on('warning', (err) => {
    if (over) return;
    // The relay came back with another key: not the relay we joined. Nothing more is sent to it.
    if (err instanceof RelayKeyChangedError) {
      io.err(errorLine(err));
      over = true;
      void bounded(client.close({ leave: false }), 1000).then(() => end(EXIT.RELAY_KEY_CHANGED));
      return;
    }
    io.err(`whatsudp: warning: ${escapeName(err.message)}`);
  });

  // Sent at once even before the join completes: the client queues them until it is in the room.
  const started = client.start();
  started.catch((err: unknown) => {
    if (over) return;
    io.err(errorLine(err));
    void bounded(client.close({ leave: false }), 1000).then(() => end(exitCodeFor(err, true)));
  });

  // Commands (/reply, /react, ...) when a person types at a terminal, or when asked for: piped lines stay messages.
  const commands = args.commands || (io.stdin as { isTTY?: boolean }).isTTY === true;
  const lines = new MessageLines(
    io,
    (line) => {
      const c = lineToCommand(line, commands);
      if ('help' in c) return COMMANDS_HELP.forEach((l) => io.err(l));
      if ('error' in c) throw new Error(c.error);
      client.send(c.send);
    },
    () => {
      if (!over) void endOfInput();
    },
  );

  async function endOfInput(): Promise<void> {
    try {
      await started;
    } catch {
      return; // already reported, with its exit code
    }
    const deadline = Date.now() + args.waitMs;
    const left = await client.flush(args.waitMs);
    for (let i = 0; i < 1000 && printedSeq < ownSeq && Date.now() < deadline && !over; i++) await sleep(10);
    if (over) return;
    const undelivered = new Map<number, OutgoingMessage>([...failed, ...left.map((o) => [o.msgId, o] as const)]);
    for (const o of undelivered.values()) reportUndelivered(o);
    if (undelivered.size > 0) io.err(`whatsudp: ${undelivered.size} message${undelivered.size === 1 ? '' : 's'} not delivered`);
    await bounded(client.close({ leave: true }), 2000);
    end(undelivered.size > 0 || lines.problems > 0 ? EXIT.UNDELIVERED : EXIT.OK);
  }

  return {
    done,
    async stop() {
      if (over) return;
      over = true;
      await bounded(client.close({ leave: true }), 2000);
      end(EXIT.OK);
    },
  };
}
