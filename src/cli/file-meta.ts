// What /send says about a file besides its bytes: its type (from the extension, as a mail client
// does; nothing is run or sniffed beyond an image's header) and, for an image, its width and height,
// so a reader can reserve its box before the bytes arrive. And how a size reads for a person.
import { imageSize } from 'image-size';

// A small table: the types a chat is sent most. Anything else is application/octet-stream, which
// every receiver saves and none displays.
const MIME_BY_EXTENSION: ReadonlyMap<string, string> = new Map(Object.entries({
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  html: 'text/html',
  xml: 'application/xml',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  webm: 'video/webm',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
}));

export const OCTET_STREAM = 'application/octet-stream';

/** The file's type from its name's extension (case ignored); application/octet-stream if unknown. */
export function mimeFor(name: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(name);
  return (m && MIME_BY_EXTENSION.get(m[1].toLowerCase())) || OCTET_STREAM;
}

// The raster types whose size /send reads (and a receiver shows inline): image-size's names for them.
const IMAGE_TYPES: ReadonlyMap<string, string> = new Map([['png', 'image/png'], ['jpg', 'image/jpeg'], ['gif', 'image/gif'], ['webp', 'image/webp']]);
// Larger than any real image's side; a header that says more is not believed.
const MAX_SIDE = 65_535;
// Where a header's size is found: a jpeg's SOF can follow EXIF segments of up to 64 KiB each.
const HEAD_BYTES = 512 * 1024;

/**
 * An image's width and height as it is shown, read from its header (png, jpeg, gif, webp only; a
 * jpeg's EXIF orientation 5-8 turns it, so width and height swap). Undefined for anything else, a
 * header that does not parse, or bytes of another type than `mime` (a .png that is a gif: a reader
 * would reserve a box for an image it then cannot show as the type it was told).
 */
export function imageDimensions(bytes: Uint8Array, mime: string): { width: number; height: number } | undefined {
  if (![...IMAGE_TYPES.values()].includes(mime)) return undefined;
  let found: ReturnType<typeof imageSize>;
  try {
    // A copy of the head alone: image-size reads through the view's underlying buffer, so a view
    // into a larger one could be measured from bytes that are not the file's.
    found = imageSize(new Uint8Array(bytes.subarray(0, HEAD_BYTES)));
  } catch {
    return undefined; // not an image after all, or a damaged header: sent as a file without a size
  }
  if (found.type === undefined || IMAGE_TYPES.get(found.type) !== mime) return undefined;
  const { width, height } = found;
  const ok = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= MAX_SIDE;
  if (!ok(width) || !ok(height)) return undefined;
  const turned = found.type === 'jpg' && found.orientation !== undefined && found.orientation >= 5;
  return turned ? { width: height, height: width } : { width, height };
}

/** A size for a person: `512 B`, `1.2 KiB`, `16.0 MiB`, `700.0 MiB`. */
export { fileSizeText as formatBytes } from '../common/message';
