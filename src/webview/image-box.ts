// An inline image's box (issue 14), from the width and height its message carries: the row is drawn at
// this size before any byte arrives, and the virtual list's height estimate uses the same numbers, so
// the list does not jump when the image comes. Pure (no DOM): the estimate and the tests import it.
import { isInlineImageType } from '../common/image-type';
import type { FileInfo } from '../common/message';

/** An image is shown at most this wide (CSS pixels), and never wider than the row. */
export const IMAGE_MAX_WIDTH = 320;

/** An inline image's box for `file`, or undefined when it is not shown inline. */
export function imageBox(file: FileInfo, maxWidth = IMAGE_MAX_WIDTH): { width: number; height: number } | undefined {
  if (!isInlineImageType(file.mime) || !file.width || !file.height) return undefined;
  const width = Math.min(file.width, maxWidth);
  return { width, height: Math.round((width * file.height) / file.width) };
}
