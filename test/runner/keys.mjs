// Keys for the integration tests: a test in the extension host cannot type into a webview (no test
// can read or drive one from there), so it prints `WHATSUDP_KEYS ["Control+f", "type:deploy", "Enter"]`
// and the runner presses them in the page with Playwright's keyboard, which goes wherever the focus
// is, as a user's keys do. "type:" entries are typed character by character. The test then waits,
// bounded, for what it expects to see (the panel's render report). WHATSUDP_KEYS=1 in the extension
// host says that this runner is there to press them.
export const KEYS_PREFIX = 'WHATSUDP_KEYS ';
const MAX_ENTRIES = 50;
const MAX_CHARS = 500;

/** The keys a log line asks for, or undefined (not such a line, or not a list of short strings). */
export function keysOf(line) {
  const at = line.indexOf(KEYS_PREFIX);
  if (at < 0) return undefined;
  try {
    const keys = JSON.parse(line.slice(at + KEYS_PREFIX.length));
    const ok = Array.isArray(keys) && keys.length <= MAX_ENTRIES && keys.every((k) => typeof k === 'string' && k.length > 0 && k.length <= MAX_CHARS);
    return ok ? keys : undefined;
  } catch {
    return undefined;
  }
}

export async function pressKeys(page, keys, onLine) {
  try {
    for (const key of keys) {
      if (key.startsWith('type:')) await page.keyboard.type(key.slice(5), { delay: 15 });
      else await page.keyboard.press(key);
    }
  } catch (err) {
    onLine(`[runner] keys ${JSON.stringify(keys)} failed: ${err instanceof Error ? err.message : err}`);
  }
}
