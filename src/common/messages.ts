// What the extension host and the chat webview say to each other: one discriminated union per
// direction. The host owns the conversation; the webview asks for a snapshot with `ready` and then
// receives changes. No `vscode` and no DOM here: both sides import this file.
import type { MessageBody } from '../common/message';

/** An own message's states, in the order it goes through them: the one list the host's history, the
 * webview's check of what it receives and its labels are all derived from. */
export const DELIVERY_STATES = ['queued', 'sending', 'delivered', 'failed'] as const;
export type DeliveryStateView = (typeof DELIVERY_STATES)[number];

export interface SenderView {
  id: string; // 16 hex digits, zeros for legacy senders
  name: string;
  legacy: boolean;
}

export type ChatItem =
  | {
      type: 'message';
      /** Stable key: `s:<seq>` once sequenced, `o:<clientId>:<msgId>` for own messages not yet sequenced. */
      key: string;
      seq?: number;
      time: number;
      sender: SenderView;
      body: MessageBody;
      own: boolean;
      state?: DeliveryStateView; // own messages only
      error?: string;
      /** A reply: the seq it answers and the key that message has (or would have) in this panel. */
      reply?: { seq: number; key: string };
      /** Its author changed the text (the body holds the new one) or took it back (the body is empty). */
      edited?: boolean;
      deleted?: boolean;
      reactions?: ReactionView[];
      /** Reply and React are offered: a message of the current room, shown, not deleted. */
      respond?: boolean;
      /** Edit and Delete are offered: this device's key wrote it, checked by its signature. */
      mine?: boolean;
    }
  | { type: 'notice'; key: string; time: number; text: string; tone: 'info' | 'warning' };

/** One emoji under a message: who reacted with it (names, in the order they did) and whether this
 * device's key is among them (its chip then takes the reaction back). */
export interface ReactionView {
  emoji: string;
  names: string[];
  mine: boolean;
}

export interface MemberView {
  memberId: number;
  id: string;
  name: string;
  presence: 'online' | 'away';
  self: boolean;
  /** Its device key's fingerprint (52 characters), when the relay knows the key. */
  fingerprint?: string;
  /** Its name was seen before with other keys: a new device of the same person, or someone else. */
  newKey?: boolean;
  /** Its key is the one verified under its name on this device (Verify: the safety codes matched). */
  verified?: boolean;
}

export type ConnectionView = (
  | { state: 'connecting'; relay: string }
  | { state: 'connected'; relay: string }
  | { state: 'reconnecting'; relay: string; reason: string }
  | { state: 'offline'; relay: string; reason: string }
) & {
  /** The room is sealed (joined with its invite link): the header shows a lock; else it says the room is open. */
  sealed?: boolean;
};

export interface Snapshot {
  self: { id: string; name: string };
  items: ChatItem[];
  members: MemberView[];
  connection: ConnectionView;
  /** Key of the first item that arrived while the panel was hidden: the "new messages" divider goes above it. */
  firstUnreadKey?: string;
  /** Largest message in UTF-8 bytes; the composer shows the count before sending. */
  maxBytes: number;
  /** Set while this window runs the relay. */
  server?: { address: string; shared: boolean };
  /** How far each member (by session id) has seen the room, as far as the relay told (rooms up to 50). */
  seen?: SeenView[];
  /** In a room of more than 50 members: how many have seen it up to `seq` (names are not passed on). */
  seenCount?: { seq: number; count: number };
}

/** Member `id` has seen the room up to `seq` (shown in their panel, not merely received). */
export interface SeenView {
  id: string;
  seq: number;
}

export type HostToWebview =
  | { type: 'snapshot'; snapshot: Snapshot }
  /** New items, or items whose key already exists (replace them in place: delivery state, own message sequenced). */
  | { type: 'items'; items: ChatItem[]; replaces?: { oldKey: string; item: ChatItem }[] }
  | { type: 'members'; members: MemberView[] }
  | { type: 'connection'; connection: ConnectionView }
  | { type: 'server'; server?: { address: string; shared: boolean } }
  | { type: 'self'; self: { id: string; name: string } }
  | { type: 'cleared' }
  | { type: 'focusComposer' }
  /** Member `id` is typing (shown for a few seconds), or has seen the room up to `seq`. */
  | { type: 'typing'; id: string }
  | ({ type: 'seen' } & SeenView)
  | { type: 'seenCount'; seq: number; count: number }
  /** Tests and the benchmark ask the webview what it shows; it answers with `report` and the same id. */
  | { type: 'inspect'; id: number }
  /** (issue 14) A file's transfer changed: its row (or, `upload`, the composer's list) shows it. */
  | { type: 'file'; id: string; state: FileStateView };

/** (issue 14) Where a file stands in this panel, by the relay's file id. `src`: an image's cached
 * copy as a webview URI, set once it is fetched, checked and sniffed. */
export interface FileStateView {
  phase: 'fetching' | 'saving' | 'sending' | 'done' | 'failed' | 'cancelled';
  done?: number;
  total?: number;
  /** What the row's status line says: what went wrong (gone, corrupt, not an image), or "Saved as ...". */
  text?: string;
  src?: string;
  /** An upload's name (the composer's list shows it). */
  name?: string;
  upload?: boolean;
}

/** (issue 14) A file row as the panel draws it: its box (an image's, reserved before its bytes come),
 * whether the image is shown, and its status line. */
export interface FileRowReport {
  key: string;
  name: string;
  size: string;
  image: boolean;
  box?: { width: number; height: number };
  loaded: boolean;
  status: string;
}

/** What the webview shows, as a user would see it (used by the integration tests and the benchmark). */
export interface RenderReport {
  /** Items in the conversation (not only the ones in the DOM when the list is virtualized). */
  itemCount: number;
  /** Text of the last few rendered message rows, as the user reads them: "name: text". */
  lastRows: string[];
  /** Delivery state labels of own messages among those rows. */
  lastStates: string[];
  bannerText: string;
  /** The header's room state as shown: "sealed" or "open room". */
  roomState?: string;
  memberNames: string[];
  /** Elements that could run script: <script>, <iframe>, on* attributes, javascript: URLs. Must be 0. */
  activeContent: number;
  /** Member labels (as in memberNames) that carry the verified mark. */
  verifiedMembers?: string[];
  /** Whether the "new messages" divider is shown. */
  hasUnreadDivider: boolean;
  /** ms the last snapshot took to render, and the last append. */
  snapshotRenderMs?: number;
  appendRenderMs?: number;
  /** The search box, the composer's text and the mention list's names (while it is open), and what
   * has the keyboard: 'composer', 'search', 'messages', or another element's tag name. */
  search?: SearchReport;
  /** Beside lastRows, what else each of those rows shows: the quote, the edited/deleted label and the
   * reaction chips (label, as shown, and tooltip). */
  lastDetails?: RowDetail[];
  /** The composer's reply/edit bar ("Replying to bob: ..."), '' without one. */
  composerContext?: string;
  /** The panel's last short message to the reader (e.g. a quote whose message is not kept). */
  toast?: string;
  /** The message row that has the keyboard: its key, "name: text", and whether it is wholly in view. */
  focusedRow?: { key: string; text: string; inView: boolean; detail: RowDetail };
  /** The emoji picker, the delete confirmation or a row's menu, while one is open: its label. */
  popover?: string;
  /** The typing line ("ann is typing…", '' when nobody is) and the "Seen by" line under the list. */
  typing?: string;
  seenBy?: { key: string; text: string; title: string };
  draft?: string;
  mentions?: string[];
  focus?: string;
  /** (issue 14) The file rows in the DOM, and the composer's attachment preview's names. */
  files?: FileRowReport[];
  attachments?: string[];
}

export interface RowDetail {
  key: string;
  quote?: string;
  edited: boolean;
  deleted: boolean;
  reactions: { label: string; title: string; pressed: boolean }[];
  /** The actions its toolbar offers: 'reply', 'react', 'edit', 'delete'. */
  actions: string[];
}

export interface SearchReport {
  open: boolean;
  query: string;
  /** "3 of 17", "No results", or '' with no query. */
  counter: string;
  /** What its live region says: "3 of 17 matching messages: bob: the message". */
  heard: string;
  /** The current hit's row as drawn: its text, the marked words, and whether it is wholly in view. */
  current?: { key: string; text: string; marks: string[]; inView: boolean };
  /** ms the last search took: the pass over the data, the marks, the scroll to its hit. */
  ms?: number;
}

export type WebviewToHost =
  | { type: 'ready' }
  /** `replyTo`: the key of the message it answers. */
  | { type: 'send'; text: string; replyTo?: string }
  /** Adds this device's reaction to the message at `key`, or takes it back. */
  | { type: 'react'; key: string; emoji: string; remove: boolean }
  /** Edit and Delete of one's own message (the webview asked to confirm a delete). */
  | { type: 'edit'; key: string; text: string }
  | { type: 'delete'; key: string }
  | { type: 'retry'; key: string }
  | { type: 'openSnippet'; key: string }
  | { type: 'openLink'; url: string }
  | { type: 'changeName' }
  | { type: 'reconnect' }
  /** The person typed in the composer (the host says so at most once a second). */
  | { type: 'typing' }
  /** The message at `seq` (and all before it) was on screen in the visible panel. */
  | { type: 'seen'; seq: number }
  /** The Verify button of a member's row: Verify Member for that session. */
  | { type: 'verify'; id: string }
  | { type: 'report'; id: number; report: RenderReport }
  /** (issue 14) Save... of the file at `key`; an image row asks for its bytes; Cancel of a transfer. */
  | { type: 'fileSave'; key: string }
  | { type: 'fileImage'; key: string }
  | { type: 'fileCancel'; id: string }
  /** A pasted or dropped file, its bytes in base64, sent with the composer's text as its caption. */
  | { type: 'sendFile'; name: string; mime: string; data: string; width?: number; height?: number; caption: string }
  /** Something went wrong in the webview (a render error): the host logs it. */
  | { type: 'error'; message: string };
