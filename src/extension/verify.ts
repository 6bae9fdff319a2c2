// "WhatsUDP: Verify Member...": pick someone in the room (or come from their row in the member list),
// read the safety code of your two keys aloud with them, and mark their key verified when it
// matches. The mark is kept in this device's member pins (known_members in the extension's global
// storage), so it holds in every room and on every relay; the member list then shows it.
import * as vscode from 'vscode';
import { nodeCrypto } from '../protocol/crypto';
import { safetyCode } from '../protocol/fingerprint';
import type { ChatSession } from './chatSession';
import type { Notifier } from './notify';
import { candidateItem, candidates, codeStep, doneText, type Candidate, type ChoiceItem } from './verifyItems';

export interface VerifyHost {
  readonly notifier: Notifier;
  session(): Promise<ChatSession>;
}

/** The step shown now, for the integration test that answers it: 'member' or 'code'. */
let step: 'member' | 'code' | undefined;
export const verifyStep = (): string | undefined => step;

/** Runs the command; `memberId` (a session id, from the member list) skips the pick. */
export async function verifyMember(host: VerifyHost, memberId?: unknown): Promise<void> {
  const session = await host.session();
  const ctx = session.verifyContext();
  if (!ctx.pins) {
    host.notifier.warn('WhatsUDP cannot keep verified keys in this window: its storage could not be used (see the log).');
    return;
  }
  const list = candidates(ctx.members, session.clientId, Buffer.from(ctx.publicKey).toString('base64url'), ctx.verified, ctx.flagged);
  let chosen: Candidate | undefined;
  if (typeof memberId === 'string') {
    chosen = list.find((c) => c.sessions.includes(memberId));
    if (!chosen) {
      host.notifier.info('That member has left the room, or has no key to verify (the original chat has none).');
      return;
    }
  } else {
    if (list.length === 0) {
      host.notifier.info(
        session.connection.state === 'connected'
          ? 'Nobody in the room can be verified yet: Verify compares your key with the keys of the people in the room.'
          : 'Join the chat first: Verify compares your key with the keys of the people in the room.',
      );
      return;
    }
    chosen = await pickMember(list);
    if (!chosen) return;
  }

  const code = safetyCode(nodeCrypto, ctx.publicKey, Buffer.from(chosen.key, 'base64url'));
  const picked = await confirm(chosen, code);
  if (!picked || picked.choice === 'keep') return;
  const key = Buffer.from(chosen.key, 'base64url');
  const name = chosen.name;
  await session.updatePins((pins) => {
    if (picked.choice === 'unmark') return pins.unverify(name, key);
    pins.verify(name, key);
    return true;
  });
  const text = doneText(chosen, picked.choice);
  if (text) host.notifier.info(text);
}

async function pickMember(list: Candidate[]): Promise<Candidate | undefined> {
  step = 'member';
  try {
    const items = list.map((c) => ({ ...candidateItem(c), candidate: c }));
    const picked = await vscode.window.showQuickPick(items, {
      title: 'WhatsUDP: Verify Member',
      placeHolder: 'Whose key do you want to check? You compare a safety code with them next.',
      matchOnDescription: true,
    });
    return picked?.candidate;
  } finally {
    step = undefined;
  }
}

async function confirm(c: Candidate, code: string): Promise<ChoiceItem | undefined> {
  const { title, placeholder, items } = codeStep(c, code);
  step = 'code';
  try {
    // ignoreFocusOut: reading 60 digits aloud takes a while, and a click elsewhere must not lose them.
    return await vscode.window.showQuickPick(items, { title, placeHolder: placeholder, ignoreFocusOut: true });
  } finally {
    step = undefined;
  }
}
