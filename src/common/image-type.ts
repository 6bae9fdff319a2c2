// Which raster image a file's bytes are, by their magic bytes (issue 14). The only types a panel
// shows inline: png, jpeg, gif and webp. Never SVG (it can carry script), never a type taken from a
// name or from what a sender said: the bytes decide, on both sides (the composer before sending, the
// host before caching what it fetched). No Node types: the webview imports it too.

export const INLINE_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type InlineImageType = (typeof INLINE_IMAGE_TYPES)[number];

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean => b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** The image type `bytes` are, or undefined for anything else (SVG included). */
export function sniffImage(bytes: Uint8Array): InlineImageType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  return undefined;
}

/** Whether a kind-15 message's type is one the panel shows inline (the bytes are sniffed again). */
export const isInlineImageType = (mime: string): mime is InlineImageType => (INLINE_IMAGE_TYPES as readonly string[]).includes(mime.toLowerCase());
