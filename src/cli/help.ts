// The help texts, kept apart from the parsing so the README can quote them as they are. The lines of
// the number flags come from the options tables (flags.ts), defaults included.
import { PROBE_PORT } from '../chat/discovery';
import { CHAT_NUMBER_FLAGS, DISCOVER_NUMBER_FLAGS, flagLines, RELAY_NUMBER_FLAGS } from './flags';

export const EXIT = {
  OK: 0,
  /** A bug: an error the program did not expect. */
  INTERNAL: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  CANNOT_LISTEN: 4,
  UNDELIVERED: 5,
  REFUSED: 6,
  STORE: 7,
  /** The relay's key is not the one pinned for its address (protocol 2). */
  RELAY_KEY_CHANGED: 8,
  /** verify: no key was seen under that name on this device (known_members). */
  NOT_PINNED: 9,
  /** relay --cluster: NATS could not be used (no server answered, credentials refused, no JetStream). */
  CLUSTER: 10,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

const EXIT_TABLE = `Exit codes:
  0    done: every message delivered (chat), or the relay stopped cleanly
  1    an unexpected error (a bug: please report it with the message)
  2    usage: an unknown or bad option, a bad name or address
  3    no relay answered (chat), or its host name cannot be resolved
  4    cannot listen: the UDP port is in use, or the address is not this machine's
  5    some messages were not delivered (each is named on stderr), or a line was too long,
       or a command (such as /send or /get) could not be done
  6    the relay refused to let us in (room full, name refused, a sealed room without its
       invite link or whose key was rotated without you, no room of that name, too many
       rooms on the relay), or a sealed room made with --create --sealed was there, open
  7    the relay's --store cannot be read or written
  8    the relay's key is not the one pinned for its address (or, for a relay of a cluster
       moved to, the one it was named with): both fingerprints are on stderr (someone may
       be impersonating it; --accept-relay-key FP trusts the new one for a relay you named)
  9    verify: no key has been seen under that name on this device (or none matches --key)
  10   relay --cluster: NATS could not be used: no server answered, it refused the
       credentials, it has no JetStream, or the room's stream could not be made (stderr
       says which)
  130  stopped by Ctrl-C (SIGINT), after leaving the room or closing the relay
  143  stopped by SIGTERM, likewise`;

export const MAIN_HELP = `Usage: whatsudp <command> [options]

Group chat for people on one network, over UDP.

Commands:
  relay    run a relay (the room's server) on a UDP port
  chat     join a room: stdin lines are sent, the room's messages are printed
  discover list the relays on this machine's networks that announce themselves
  verify   show the safety code between you and someone, and mark their key verified

Options:
  -h, --help       show this help (also: whatsudp <command> --help)
  -V, --version    show the version

${EXIT_TABLE}
`;

export const RELAY_HELP = `Usage: whatsudp relay [options]

Runs a relay. Once it listens it prints its address as one line, HOST:PORT (IPv6 in brackets),
on stdout. Stop it with Ctrl-C or SIGTERM.

Options:
  --host HOST             address to listen on (default 127.0.0.1; 0.0.0.0 for the whole network)
  --port PORT             UDP port (default 2410; 0 picks a free one)
  --legacy-bridge         take the original Python chat's plain "name: text" datagrams into the
                          room, marked unverified (anyone can send any name in one). Off by
                          default (earlier versions always took them): a relay without it drops
                          them and says so once on stderr. The original programs talk to the
                          room as before with: whatsudp relay --legacy-bridge (and hear it too
                          with --legacy-broadcast ADDR)
  --legacy-broadcast ADDR also re-broadcast every message as plain "name: text" to ADDR on the
                          relay's port, for the original Python clients (e.g. 192.168.1.255);
                          implies --legacy-bridge
  --reuse-port            share the port with the original clients (on by default with
                          --legacy-broadcast)
  --store DIR             keep the room's messages in DIR and reload them at start
  --fsync                 with --store: flush each message to disk before acknowledging it
                          The relay's key (members pin it, as SSH pins a host key) is kept in
                          DIR/relay-key with --store, else in $XDG_CONFIG_HOME/whatsudp/relay-key
                          (~/.config/whatsudp/relay-key); with --log its fingerprint is printed
                          on stderr at start
  --log                   print each message (name: text; name [unverified]: text from the
                          original chat) on stdout, joins, leaves and warnings on stderr; those
                          of a room other than the default one, main, after "[ROOM] "
  --sealed                a sealed room: only members with its invite link get in. The link
                          (whatsudp://HOST:PORT/main?fp=KEY#v1.SECRET) is printed once, on
                          stdout right after the address line: SAVE IT, the relay keeps only a
                          verifier that cannot make it again (in DIR/room-verifier with --store,
                          0600, so a restart keeps the room and its link; without --store the
                          room lasts as long as the relay). A new room: remove room-verifier.
                          Its key can be rotated (chat's /rotate) by --identity's device only.
                          Not with --legacy-bridge or --legacy-broadcast (the original chat
                          would read and write the room in clear)
  --identity FILE         with --sealed: the device that may rotate the room's key (default
                          $XDG_CONFIG_HOME/whatsudp/identity, else ~/.config/whatsudp/identity, as
                          chat's; made on first use, 0600)
  --announce              let people on the network find the relay (whatsudp discover): DNS-SD
                          over mDNS (_whatsudp._udp) and answers to the broadcast probe on UDP
                          ${PROBE_PORT}. Needs --host 0.0.0.0 or an address of this machine (not
                          loopback); off unless given
Cluster (several relays serving the same rooms through NATS JetStream; docs/CLUSTER.md):
  --cluster URLS          nats://HOST:PORT[,nats://HOST:PORT...]: the room's seqs, history and
                          presence live in NATS, shared with the other relays given the same
                          servers, which members learn for failover. The relay's key and a
                          sealed room's verifier stay in --store. Not with --legacy-bridge or
                          --legacy-broadcast. NATS unreachable, refusing or without JetStream
                          at start: exit 10
  --cluster-replicas N    copies of each room's stream: 1 (one NATS server) or 3 (a cluster of
                          three, which outlives one of them) [1]
  --advertise HOST:PORT   where members reach this relay, told to the other relays and to
                          members for failover [the bound address; needed with --host 0.0.0.0]
  --cluster-creds FILE    NATS credentials from a .creds file (as nsc writes it). Or, from the
                          environment: WHATSUDP_NATS_USER and WHATSUDP_NATS_PASSWORD, or
                          WHATSUDP_NATS_TOKEN; one kind only. Never in a URL (ps shows it)
Limits and timers (defaults in brackets):
${flagLines(RELAY_NUMBER_FLAGS, 24, 'brackets')}
  -h, --help              show this help

${EXIT_TABLE}
`;

export const CHAT_HELP = `Usage: whatsudp chat --name NAME [options]

Joins a room of the relay (its default room, main, unless --room or --invite names another). Each
line of stdin is one message (empty lines are skipped); the room's messages are printed on stdout in
room order as "name: text", further lines of a message indented by two spaces, code snippets as
"name: [path:start-end]" with the code indented below. A message from the original Python chat,
whose name anyone can claim, shows as "name [unverified]: text" (with --legacy, every message
does). Control characters from peers are shown as visible escapes (ESC as \\x1b, U+202E as
\\u202e); tabs are kept. Joins, leaves, reconnects and errors go to stderr. At the end of stdin it
waits until its messages are in the room (at most --wait-ms), leaves, and exits 0, or 5 naming each
message that was not delivered.

  printf 'hi\\nthere\\n' | whatsudp chat --name ann

Options:
  --name NAME          your name: 1-32 characters, no ":" and no control characters (required)
  --server HOST:PORT[,HOST:PORT...]
                       the relay (default 127.0.0.1:2410; IPv6 as [::1]:2410). Several, comma-
                       separated: relays of one room (a cluster's); the first is joined, and if
                       it goes silent the chat moves to the next, resuming where it was (said
                       on stderr: "relay A is silent; moved to B"). A relay in a cluster also
                       names its others, with their keys: one with another key exits 8
  --invite LINK        join a sealed room with its invite link (whatsudp://... or
                       vscode://whatsudp.whatsudp/join?...; quote it, it has "#" and "&"): the
                       relay's address comes from the link (a link naming several: the first,
                       the others as with --server A,B), and its key must be one the link
                       names (else exit 8). With --server too, that address is used and
                       the link's key still checked. A malformed link exits 2 saying what is
                       wrong with it
  --room NAME          join the relay's room NAME (lower case: a-z, 0-9, ".", "_", "-"; what
                       you type is lower-cased). A room the relay does not have exits 6
  --create             with --room: make the room if the relay has none of that name (open,
                       unless --sealed); if it has one, join it
  --sealed             with --create: a sealed room. This chat makes its secret (the relay only
                       gets a verifier) and prints the room's invite link once, on stderr, as
                       "invite link: whatsudp://...": SAVE IT, it is shown only now
  --passphrase-file FILE
                       with --room: a passphrase room, sealed with a secret derived from the
                       passphrase in FILE (at least 12 characters; scrypt, the room's name as
                       salt) instead of a link: join it, or make it with --create. Warns that a
                       relay can try passphrases offline: a weak one falls; a link cannot
  --json               print one JSON object per message instead: seq, time, msgId,
                       sender {id, name, legacy}, kind (text, snippet, file, reaction, edit,
                       delete, placeholder), text, path, startLine, endLine, language, reason,
                       backfill, verified (true for a message whose author's signature checked
                       out), fingerprint (the key that signed it), replyTo (the seq a reply
                       answers), to (the seq a reaction, edit or delete acts on), emoji, remove,
                       room (the room it is in), file {name, size, sha256, mime, width?,
                       height?} (a file: its caption is text); null where they do not apply
  --seq                print each message's seq before it: "#12 ann: hi" (what commands take)
  --commands           lines starting with "/" are commands even when stdin is not a terminal
                       (at a terminal they always are): /reply SEQ TEXT, /react SEQ EMOJI,
                       /unreact SEQ EMOJI, /edit SEQ TEXT, /delete SEQ, /help, and for rooms:
                       /rooms (the relay's rooms: a lock for a sealed one, members, messages
                       you have not read), /join ROOM (join it, or go back to it: your lines
                       go there; /join LINK joins a sealed room of this relay by its invite
                       link), /create ROOM [--sealed] (make it and join it; --sealed
                       prints its invite link), /dm NAME (a direct message with a member of
                       the current room, or one away whose key this device has seen under
                       NAME: a sealed room of your two device keys), /leave [ROOM],
                       /rotate [--remove NAME | --admin NAME] (a new key for the current sealed
                       room, without NAME, or letting NAME rotate it too: its creator only, or
                       an admin it named; prints the new invite link), and for files:
                       /send PATH [CAPTION] (a file of at most 16 MiB to the current room; a
                       path with spaces in quotes), /get SEQ [PATH] (save file #SEQ of the
                       current room in folder PATH, default the current one, under its
                       sender's name made safe, or as file PATH; never overwrites: "name
                       (1).pdf"), /cancel (stop every transfer going on).
                       Messages of a joined room other than the current one print after
                       "[ROOM] " (a direct message's after "[dm NAME] "). "//" sends a
                       line starting with "/"; an unknown command sends nothing and says so
                       (it, and a room command that could not be done, count as not sent
                       for the exit code). Replies print the message
                       they answer on the next line, indented; reactions, edits and deletes
                       print as "* ann edited #12: ..." lines, and one that is not allowed
                       (an edit of someone else's message) as "* ignored: ..."
${flagLines(CHAT_NUMBER_FLAGS, 21, 'words')}
  --identity FILE      this device's key (made on first use, 0600; default
                       $XDG_CONFIG_HOME/whatsudp/identity, else ~/.config/whatsudp/identity); relay
                       keys are pinned in known_relays beside it, per relay address, and sealed
                       rooms' newer keys (after a /rotate) kept in keyring (0600)
  --accept-relay-key FP
                       trust this key fingerprint for the relay even though another one is pinned
                       for its address (exit 8 names both): only once its owner has confirmed it
  --legacy             talk to an original Python relay: plain "name: text" datagrams of at most
                       1024 bytes (longer lines are split), received on the relay's port on this
                       machine; no acknowledgements, so the exit code is 0 at the end of stdin
  -h, --help           show this help

${EXIT_TABLE}
`;

export const DISCOVER_HELP = `Usage: whatsudp discover [options]

Lists the relays that answer on this machine's networks (relays started with --announce): asks over
mDNS (DNS-SD, _whatsudp._udp) and with a probe to each interface's broadcast address on UDP
${PROBE_PORT}, for networks that drop multicast. Prints one relay a line on stdout, its address
first, then the interface it answered on (and its other addresses), its open rooms, sealed rooms its
owner lists, its key's fingerprint (the one "chat" will pin; "-" if it announced none) and its name:

  192.0.2.1:2410 on eth0  rooms: main  fingerprint: x7u2o4xd2j37uqf3k6ezwcchyl3kmggdxdromflg6ojixa4si5fq  name: ann-laptop

A relay seen on two interfaces is listed once. Exits 0 when it ran, whether or not it found any;
a relay's address typed by hand (chat --server) or an invite link works without it.

Options:
${flagLines(DISCOVER_NUMBER_FLAGS, 21, 'words')}
  --json               one JSON object a line instead: address, host, port, interface,
                       addresses [{address, interface, via}], via (mdns, broadcast), id, name,
                       rooms and sealed [{name, id}], fingerprint, more (null where unknown)
  --interface NAME     search only this interface (may be given more than once; default: every
                       interface but loopback)
  -h, --help           show this help

${EXIT_TABLE}
`;

export const VERIFY_HELP = `Usage: whatsudp verify NAME [--mark | --unmark] [--key FP] [options]

Shows the safety code between this device and NAME: for each key seen under NAME on this device
(known_members beside --identity, filled in by "chat" and pinned on first sight), its fingerprint,
whether you verified it, and 60 digits in three rows. NAME sees the same digits on their side
(whatsudp verify YOUR-NAME, or "WhatsUDP: Verify Member..." in the extension). Read them to each other,
in person or on a call: if they match, nobody is in between, and

  whatsudp verify ann --mark

records ann's key as verified. A name that later comes with another key is still flagged, and that
key is not verified. Prints "your key: ..." and each key on stdout; hints go to stderr.

Options:
  --mark               record the key as verified (the codes matched); with several keys under
                       NAME (their laptop and their desktop, or someone else), choose one with --key
  --unmark             take the verified mark off the key again (it stays known, as seen)
  --key FP             only the key whose fingerprint starts with FP (at least 4 characters;
                       spaces and case do not matter)
  --json               one JSON object per key instead: name, fingerprint, verified, safetyCode
  --identity FILE      this device's key (default $XDG_CONFIG_HOME/whatsudp/identity, else
                       ~/.config/whatsudp/identity); known_members is beside it
  -h, --help           show this help

${EXIT_TABLE}
`;
