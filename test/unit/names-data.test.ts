// The skeleton table (src/common/confusables.ts, generated) says exactly what Unicode's
// confusables.txt says, as shipped by the unhomoglyph package, for every character a skeleton can see.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONFUSABLES_VERSION } from '../../src/common/confusables';
import { skeleton } from '../../src/common/names';

const data = JSON.parse(readFileSync(require.resolve('unhomoglyph/data.json'), 'utf8')) as Record<string, string>;
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;

describe('names: the confusables table', () => {
  it(`is confusables.txt ${CONFUSABLES_VERSION}, entry by entry`, () => {
    const readme = readFileSync(require.resolve('unhomoglyph/README.md'), 'utf8');
    assert.match(readme, new RegExp(`v${CONFUSABLES_VERSION.replace(/\./g, '\\.')}`), 'regenerate: node scripts/gen-confusables.mjs');
    let checked = 0;
    for (const [from, to] of Object.entries(data)) {
      // NFD comes first, so a key not in NFD is never looked up; ignorables are dropped before lookup.
      if (from.normalize('NFD') !== from || IGNORABLE.test(from)) continue;
      const expected = [...to.normalize('NFD')].filter((c) => !IGNORABLE.test(c)).join('');
      assert.equal(skeleton(from), expected, `U+${from.codePointAt(0)?.toString(16)}`);
      checked++;
    }
    assert.ok(checked > 5000, `${checked} entries`);
  });

  it('maps nothing that confusables.txt leaves alone', () => {
    for (let cp = 0x20; cp < 0x3000; cp++) {
      const ch = String.fromCodePoint(cp);
      if (data[ch] !== undefined || ch.normalize('NFD') !== ch || IGNORABLE.test(ch)) continue;
      assert.equal(skeleton(ch), ch, `U+${cp.toString(16)}`);
    }
  });
});
