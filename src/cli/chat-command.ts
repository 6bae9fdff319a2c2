// `whatsudp chat`: stdin lines become messages, the room's messages go to stdout in room order, and
// everything about the connection goes to stderr, so `... | whatsudp chat --name bot` is scriptable:
// its exit code says whether every line reached the room. With commands on, /join, /create and /dm
// put the chat in more rooms of the same relay (issue 11): lines go to the current one, and the
// others' messages print after "[ROOM] " (room-view.ts; the commands are in room-commands.ts).
import { RelayKeyChangedError } from '../chat';
import { loadKeyring } from './keyring-file';
import { nodeCrypto } from '../protocol/crypto';
import { newRoomSecret } from '../protocol/sealed-room';
import { PASSPHRASE_WARNING, passphraseSecret } from '../chat/passphrase';
import { UsageError, type ChatArgs } from './args';
import { COMMANDS_HELP, lineToCommand, type RoomCommand } from './commands';
import { EXIT } from './help';
import { FileCommands } from './file-commands';
import { MessageLines } from './input';
import { runRoomCommand, sealedInvite } from './room-commands';
import { RoomsChat } from './rooms-chat';
import type { RoomHost, RoomSpec } from './room-view';
import { bounded, errorLine, exitCodeFor, type Io, type Session } from './session';

/** The room the command line asks for: --room (created with --create, sealed with --sealed), or the invite's. */
function firstRoom(args: ChatArgs): RoomSpec {
  if (args.invite) return { room: args.invite.room, roomSecret: args.invite.secret, relayFingerprints: args.invite.fingerprints };
  // The client makes a sealed room's secret: the relay only ever sees the verifier derived from it.
  // A passphrase room's secret is the passphrase's (scrypt, a few hundred ms, once at the start).
  const secret = args.passphrase !== undefined ? passphraseSecret(args.passphrase, args.room) : args.sealed ? newRoomSecret(nodeCrypto) : undefined;
  return { room: args.room, ...(args.create ? { create: true } : {}), ...(secret ? { roomSecret: secret } : {}) };
}

export function startChat(args: ChatArgs, io: Io): Session {
  if (args.note) io.err(`whatsudp: note: ${args.note}`);
  if (args.passphrase !== undefined) io.err(`whatsudp: warning: ${PASSPHRASE_WARNING}`);
  let over = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const end = (code: number): void => {
    over = true;
    lines.close();
    finish(code);
  };
  // Closing waits for the keyring too: a rekey just taken in is being written.
  const closeAll = (leave: boolean): Promise<void> => {
    files.cancelAll(); // a transfer cut short leaves nothing: no message, no half-saved file
    return bounded(Promise.all([...chat.rooms.map((r) => r.client.close({ leave })), keys.then((k) => k.idle()), files.idle()]), 2000);
  };

  const told = new Set<string>();
  const host: RoomHost = {
    isCurrent: (r) => r === chat.current,
    dmNews(dm) {
      chat.openedBy.set(dm.name, dm.key);
      if (told.has(dm.room) || chat.rooms.some((r) => r.name === dm.room)) return false;
      told.add(dm.room);
      return true;
    },
    over: () => over,
    fatal(err) {
      // The relay came back with another key: not the relay we joined. Nothing more is sent to it.
      if (!(err instanceof RelayKeyChangedError)) return false;
      io.err(errorLine(err));
      over = true;
      void closeAll(false).then(() => end(EXIT.RELAY_KEY_CHANGED));
      return true;
    },
  };

  const chat = new RoomsChat(args, io, host);
  // /send and /get (issue 14): each transfer goes on beside the chat; one that fails counts as a line not sent.
  const files = new FileCommands(chat, io, () => over, () => lines.problems++);

  // A sealed room's newer keys (issue 9: learnt from a rekey) are kept beside the identity, so a
  // restart with the room's first link still reads what came after the rotation.
  const keys = loadKeyring(args.identity);
  const ready = keys.then(({ keyring }) => {
    chat.keyring = keyring;
    const first = chat.enter(firstRoom(args));
    chat.focus(first);
    return first;
  });
  const started = ready.then((first) => first.client.start());
  const failed = (code: number): void => {
    over = true;
    void closeAll(false).then(() => end(code));
  };
  // A sealed room made here: its link, once it is made; lines wait for it, as it may not be (a room
  // of that name was there, open, and they would be sealed with a key nobody else has).
  const invited = started.then(
    async () => {
      if (!(args.sealed || args.passphrase !== undefined) || over) return;
      // A passphrase room has no link to print, but the same check: an open room of that name is not it.
      if (!(await sealedInvite(chat, chat.current, args.sealed).catch((err: unknown) => (io.err(errorLine(err)), false)))) failed(EXIT.REFUSED);
    },
    (err: unknown) => {
      if (over) return;
      io.err(errorLine(err));
      failed(exitCodeFor(err, true));
    },
  );

  // Lines wait for the first room to exist (its client queues them until it is in the room; a sealed
  // room's until its link is out), and room commands for the relay (a list, a key), in order.
  let queue: Promise<void> = args.sealed || args.passphrase !== undefined ? invited : ready.then(() => undefined, () => undefined);
  let queued = 1;
  void queue.finally(() => queued--);
  const act = async (c: RoomCommand): Promise<void> => {
    if (!(await runRoomCommand(chat, c))) lines.problems++;
  };
  const later = (what: () => void | Promise<void>): void => {
    const lineNo = lines.lineNo;
    queued++;
    queue = queue
      .then(what)
      .catch((err: unknown) => lines.notSent(lineNo, err))
      .finally(() => queued--);
  };

  // Commands (/reply, /join, ...) when a person types at a terminal, or when asked for: piped lines stay messages.
  const commands = args.commands || (io.stdin as { isTTY?: boolean }).isTTY === true;
  const lines = new MessageLines(
    io,
    (line) => {
      const c = lineToCommand(line, commands);
      if ('help' in c) return COMMANDS_HELP.forEach((l) => io.err(l));
      // A mistake in the line, the user's to fix: said as such, never as an internal error.
      if ('error' in c) throw new UsageError(c.error);
      if ('room' in c) return later(() => act(c.room));
      if ('file' in c) return later(() => files.run(c.file));
      const send = (): void => void (over ? undefined : chat.current.client.send(c.send));
      if (queued === 0) send();
      else later(send);
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
    await invited;
    await queue;
    await files.finish(args.waitMs); // a file being sent is sent (its message then settles as any)
    const undelivered = (await Promise.all(chat.rooms.map((r) => r.settle(args.waitMs)))).reduce((a, b) => a + b, 0);
    if (over) return;
    if (undelivered > 0) io.err(`whatsudp: ${undelivered} message${undelivered === 1 ? '' : 's'} not delivered`);
    await closeAll(true);
    end(undelivered > 0 || lines.problems > 0 ? EXIT.UNDELIVERED : EXIT.OK);
  }

  return {
    done,
    async stop() {
      if (over) return;
      over = true;
      await closeAll(true);
      end(EXIT.OK);
    },
  };
}
