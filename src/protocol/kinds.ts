// The kinds of message a member sends, as they travel: a text and a snippet have heads of their own
// (parts.ts); a reply, a reaction, an edit and a delete are kinds added in protocol 2 the way
// docs/PROTOCOL.md ("Message kinds") lets a later kind be added: a kind byte, and message bytes that
// are a JSON object of its fields, so a version that does not know it shows a placeholder in its seq
// and goes on. One place turns bodies into heads and bytes and back.
import { actionProblem, fileInfoProblem, isAction, MAX_TEXT_BYTES, placeholder, reactionProblem, type FileBody, type FileInfo, type MessageBody, type SendableBody } from '../common/message';
import { ProtocolError } from './bytes';
import type { MessageHead } from './packets';
import { parseRekey, rekeyNotice } from './rekey';

export const KIND_REPLY = 10;
export const KIND_REACTION = 11;
export const KIND_EDIT = 12;
export const KIND_DELETE = 13;
/** A sealed room's new key (issue 9, rekey.ts): signed like any message, never content-sealed. */
export const KIND_REKEY = 14;
/** A file uploaded to the relay (issue 14): JSON {id, key, name, size, sha256, mime, w?, h?, text?}. */
export const KIND_FILE = 15;

/** A seq a message refers to: a u32 seq, never 0. */
const isSeq = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 0xffffffff;

/** A body's head (without a signature) and message bytes. Throws ProtocolError for what cannot be sent. */
export function wireOf(body: SendableBody): { head: MessageHead; text: Buffer } {
  let code: number | undefined;
  let fields: Record<string, unknown> | undefined;
  if (body.kind === 'text' && body.replyTo !== undefined) [code, fields] = [KIND_REPLY, { to: body.replyTo, text: body.text }];
  else if (body.kind === 'reaction') [code, fields] = [KIND_REACTION, { to: body.to, emoji: body.emoji, ...(body.remove ? { remove: true } : {}) }];
  else if (body.kind === 'edit') [code, fields] = [KIND_EDIT, { to: body.to, text: body.text }];
  else if (body.kind === 'delete') [code, fields] = [KIND_DELETE, { to: body.to }];
  else if (body.kind === 'file') [code, fields] = [KIND_FILE, fileFields(body)];
  if (code === undefined || !fields) {
    const text = Buffer.from(body.text, 'utf8');
    if (text.length > MAX_TEXT_BYTES) throw new ProtocolError(`Cannot encode message (${text.length} bytes of text, over ${MAX_TEXT_BYTES})`);
    const head: MessageHead = body.kind === 'snippet' ? { kind: 'snippet', totalBytes: text.length, path: body.path, startLine: body.startLine, endLine: body.endLine, language: body.language } : { kind: 'text', totalBytes: text.length };
    return { head, text };
  }
  const problem = actionProblem(body); // what it refers to, a reaction's emoji: the rule the client says first
  if (problem) throw new ProtocolError(`Cannot encode ${body.kind === 'text' ? 'reply' : body.kind} (${problem})`);
  const text = Buffer.from(JSON.stringify(fields), 'utf8');
  if (text.length > MAX_TEXT_BYTES) throw new ProtocolError(`Cannot encode message (${text.length} bytes with its fields, over ${MAX_TEXT_BYTES})`);
  return { head: { kind: 'other', code, totalBytes: text.length }, text };
}

/** The body a head and its (UTF-8) message bytes make: a kind this version does not know, or one
 * whose fields do not make sense, is a placeholder in its seq's place. */
export function bodyOf(head: MessageHead, text: string): MessageBody {
  if (head.kind === 'text') return { kind: 'text', text };
  if (head.kind === 'snippet') return { kind: 'snippet', text, path: head.path, startLine: head.startLine, endLine: head.endLine, language: head.language };
  if (head.code === KIND_REKEY) return rekeyNotice(text);
  if (head.code === KIND_FILE) return fileBodyOf(text);
  if (head.code < KIND_REPLY || head.code > KIND_DELETE) return placeholder.unknownKind(head.code);
  const f = jsonObject(text);
  if (!f) return placeholder.undecodable();
  if (!isSeq(f.to)) return placeholder.undecodable();
  switch (head.code) {
    case KIND_REPLY:
      return typeof f.text === 'string' && f.text.trim() !== '' ? { kind: 'text', text: f.text, replyTo: f.to } : placeholder.undecodable();
    case KIND_REACTION:
      return typeof f.emoji === 'string' && !reactionProblem(f.emoji) ? { kind: 'reaction', text: '', to: f.to, emoji: f.emoji, remove: f.remove === true } : placeholder.undecodable();
    case KIND_EDIT:
      return typeof f.text === 'string' && f.text.trim() !== '' ? { kind: 'edit', text: f.text, to: f.to } : placeholder.undecodable();
    default:
      return { kind: 'delete', text: '', to: f.to };
  }
}

/** A later kind's message bytes as the JSON object they must be, or undefined. */
function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A file message's JSON fields. Throws ProtocolError for a FileInfo that is not one. */
function fileFields(body: FileBody): Record<string, unknown> {
  const f = body.file;
  const problem = fileInfoProblem(f);
  if (problem) throw new ProtocolError(`Cannot encode file (${problem})`);
  if (typeof body.text !== 'string') throw new ProtocolError('Cannot encode file (its caption is not text)');
  return {
    id: f.id, key: f.key, name: f.name, size: f.size, sha256: f.sha256, mime: f.mime,
    ...(f.width !== undefined ? { w: f.width, h: f.height } : {}),
    ...(body.text !== '' ? { text: body.text } : {}),
  };
}

/** A file message's body, or a placeholder when any field is not what it must be. */
function fileBodyOf(text: string): MessageBody {
  const f = jsonObject(text);
  if (!f) return placeholder.undecodable();
  if (f.text !== undefined && typeof f.text !== 'string') return placeholder.undecodable();
  const file = { id: f.id, key: f.key, name: f.name, size: f.size, sha256: f.sha256, mime: f.mime, ...(f.w !== undefined || f.h !== undefined ? { width: f.w, height: f.h } : {}) } as FileInfo;
  if (fileInfoProblem(file)) return placeholder.undecodable();
  return { kind: 'file', text: f.text ?? '', file };
}

export { isAction, parseRekey };
