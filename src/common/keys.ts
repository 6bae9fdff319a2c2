// How a key fingerprint is shown where a whole one (52 characters) is too long: the CLI's warnings,
// the conversation's notes, the member list's tags. One form everywhere, so people can compare them.

/** The first 12 characters in groups of four ("abcd efgh ijkl"): 60 bits, so a look-alike key is out
 * of reach (where the 4 hex digits of a chosen id were not), and short enough to read aloud. */
export const shortFingerprint = (fp: string): string => `${fp.slice(0, 4)} ${fp.slice(4, 8)} ${fp.slice(8, 12)}`;

/** A safety code (12 groups of five digits) in three rows of four groups, as people read it aloud. */
export const safetyCodeRows = (code: string): string[] => (code.match(/\d{5}( \d{5}){0,3}/g) ?? []).map((row) => row.trim());
