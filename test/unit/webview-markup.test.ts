// The chat panel's text tokenizer: what a peer's message becomes before it reaches the DOM. Text
// stays text, only http(s)/mailto become links, control characters become visible placeholders,
// and hostile input costs linear time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LINK_CHARS, parseMessage, plainText, visibleControls, type Block, type Inline } from '../../src/webview/markup';
import { pieces } from '../../src/webview/markers';

const para = (...inlines: Inline[]): Block => ({ kind: 'paragraph', inlines });
const text = (t: string): Inline => ({ kind: 'text', text: t });
const code = (t: string): Inline => ({ kind: 'code', text: t });
const link = (url: string): Inline => ({ kind: 'link', text: url, href: url });
const fence = (info: string, t: string): Block => ({ kind: 'fence', info, text: t });
const suspect = (t: string, why: RegExp): ((inline: Inline) => void) => (inline) => {
  assert.equal(inline.kind, 'suspect', `${JSON.stringify(t)} must not be a link`);
  assert.equal(inline.text, t, 'shown as it was written');
  assert.match(inline.why, why);
};
const inlinesOf = (s: string): Inline[] => {
  const blocks = parseMessage(s);
  assert.equal(blocks.length, 1);
  assert.equal(blocks[0].kind, 'paragraph');
  return blocks[0].inlines;
};

describe('webview markup: round trips', () => {
  it('an empty message has no blocks', () => {
    assert.deepEqual(parseMessage(''), []);
  });

  const plain = ['hello', 'two\nlines', '  indented\tand tabbed  ', 'a\n\n\nb', 'émoji 👍 and 中文', '1 < 2 && 3 > 2', 'price: $5 * 3'];
  for (const s of plain) {
    it(`plain text comes back unchanged: ${JSON.stringify(s)}`, () => {
      assert.deepEqual(parseMessage(s), [para(text(s))]);
      assert.equal(plainText(parseMessage(s)), s);
    });
  }

  it('CRLF line breaks read as LF', () => {
    assert.deepEqual(parseMessage('a\r\nb'), [para(text('a\nb'))]);
  });

  it('inline code, links and text keep their order and content', () => {
    const s = 'run `npm test` then see https://example.com/x?y=1#z, or mailto:ann@example.org.';
    assert.deepEqual(parseMessage(s), [
      para(
        text('run '),
        code('npm test'),
        text(' then see '),
        link('https://example.com/x?y=1#z'),
        text(', or '),
        link('mailto:ann@example.org'),
        text('.'),
      ),
    ]);
    assert.equal(plainText(parseMessage(s)), s.replace(/`/g, ''));
  });

  it('a fenced block splits the paragraphs around it and keeps its language', () => {
    assert.deepEqual(parseMessage('before\n```ts\nconst a = `x`;\n  indented\n```\nafter'), [
      para(text('before')),
      fence('ts', 'const a = `x`;\n  indented'),
      para(text('after')),
    ]);
  });

  it('a longer fence holds a shorter one (nested backticks)', () => {
    assert.deepEqual(parseMessage('````md\n```js\nx\n```\n````'), [fence('md', '```js\nx\n```')]);
  });

  it('double-backtick code spans can contain single backticks', () => {
    assert.deepEqual(parseMessage('use `` `x` `` here'), [para(text('use '), code('`x`'), text(' here'))]);
  });

  it('"```x```" on one line is inline code, not a fence', () => {
    assert.deepEqual(parseMessage('```x```'), [para(code('x'))]);
  });

  it('links keep balanced parentheses and drop sentence punctuation', () => {
    assert.deepEqual(parseMessage('(see https://en.wikipedia.org/wiki/Foo_(bar)).'), [
      para(text('(see '), link('https://en.wikipedia.org/wiki/Foo_(bar)'), text(').')),
    ]);
  });

  it('scheme case does not matter, IPv6 and non-ASCII hosts link', () => {
    assert.deepEqual(parseMessage('HTTPS://Example.com'), [para(link('HTTPS://Example.com'))]);
    assert.deepEqual(parseMessage('HTTPS://Example.com:8080/A'), [para(link('HTTPS://Example.com:8080/A'))]);
    assert.deepEqual(parseMessage('http://[::1]:2410/'), [para(link('http://[::1]:2410/'))]);
    // A non-ASCII host is shown as the URL parser reads it (punycode); the path keeps its letters.
    assert.deepEqual(parseMessage('https://例え.jp/パス'), [para(link('https://xn--r8jz45g.jp/パス'))]);
  });
});

describe('webview markup: hostile input', () => {
  // Each input and exactly the tokens it must become.
  const table: [string, string, Block[]][] = [
    ['HTML img with onerror', '<img src=x onerror=alert(1)>', [para(text('<img src=x onerror=alert(1)>'))]],
    ['script element', '<script>alert(1)</script>', [para(text('<script>alert(1)</script>'))]],
    ['markdown link to javascript:', '[x](javascript:alert(1))', [para(text('[x](javascript:alert(1))'))]],
    ['markdown link label cannot disguise a URL', '[bank](https://evil.example)', [para(text('[bank]('), link('https://evil.example'), text(')'))]],
    ['bare javascript: URL', 'javascript:alert(1)', [para(text('javascript:alert(1)'))]],
    ['javascript: in mixed case', 'JaVaScRiPt:alert(1)', [para(text('JaVaScRiPt:alert(1)'))]],
    ['data: URL', 'data:text/html,<script>alert(1)</script>', [para(text('data:text/html,<script>alert(1)</script>'))]],
    ['vbscript: and file:', 'vbscript:x file:///etc/passwd', [para(text('vbscript:x file:///etc/passwd'))]],
    ['http:// without a host', 'http:// and https://. too', [para(text('http:// and https://. too'))]],
    ['scheme glued to a word', 'xhttps://a.b', [para(text('xhttps://a.b'))]],
    ['link stops at a quote and an angle bracket', '"https://a.b/c"<x>', [para(text('"'), link('https://a.b/c'), text('"<x>'))]],
    ['ANSI colour (CSI)', '\x1b[31mred\x1b[0m', [para(text('\u241b[31mred\u241b[0m'))]],
    ['OSC title change ended by BEL', '\x1b]0;title\x07', [para(text('\u241b]0;title\u2407'))]],
    ['C1 CSI and NEL', 'a\u009b31mb\u0085c', [para(text('a\ufffd31mb\ufffdc'))]],
    ['lone CR, backspace, NUL, DEL', 'safe\rEVIL\b\u0000\u007f', [para(text('safe\u240dEVIL\u2408\u2400\u2421'))]],
    ['bidi override (Trojan Source)', 'abc\u202edcb\u2066x\u2069', [para(text('abc\ufffddcb\ufffdx\ufffd'))]],
    ['controls inside inline code', '`\x1b[2J`', [para(code('\u241b[2J'))]],
    ['controls inside a fence', '```\n\x1b[2J\n```', [fence('', '\u241b[2J')]],
    ['escape sequence cannot hide a link scheme', 'java\x1bscript:x', [para(text('java\u241bscript:x'))]],
    ['unterminated fence runs to the end', 'look:\n```js\nlet a = 1;\nlet b = 2;', [para(text('look:')), fence('js', 'let a = 1;\nlet b = 2;')]],
    ['fence with nothing after it', '```', [fence('', '')]],
    ['closing fence shorter than the opening one', '````\nx\n```', [fence('', 'x\n```')]],
    ['unmatched backticks stay literal', 'a ` b `` c', [para(text('a ` b `` c'))]],
    ['backtick runs of different lengths do not pair', '``a`', [para(text('``a`'))]],
    ['a link inside inline code is code', '`https://a.b`', [para(code('https://a.b'))]],
    ['fence info is one word and capped', '```js onload=alert(1)\nx\n```', [fence('js', 'x')]],
    ['mailto needs an address', 'mailto: and mailto:nobody', [para(text('mailto: and mailto:nobody'))]],
  ];
  for (const [name, input, expected] of table) {
    it(name, () => assert.deepEqual(parseMessage(input), expected));
  }

  it('a very long line is one text token, quickly', () => {
    const long = 'a'.repeat(65536);
    const t0 = performance.now();
    assert.deepEqual(parseMessage(long), [para(text(long))]);
    assert.ok(performance.now() - t0 < 200);
  });

  it('a very long URL is cut into a link of bounded length and text', () => {
    const url = `https://a.b/${'x'.repeat(5000)}`;
    const [block] = parseMessage(url);
    assert.equal(block.kind, 'paragraph');
    const inlines = block.inlines;
    assert.equal(inlines[0].kind, 'link');
    assert.ok(inlines[0].text.length <= MAX_LINK_CHARS);
    assert.equal(plainText([block]), url);
  });

  // Inputs built to make a naive tokenizer quadratic: each must finish well under a second.
  const slow: [string, string][] = [
    ['many failing link starts', 'http://.'.repeat(8000)],
    ['many unmatched backtick runs of growing length', Array.from({ length: 300 }, (_, i) => '`'.repeat(i + 1) + ' ').join('')],
    ['alternating code spans', '` ``'.repeat(16000)],
    ['many mailto: prefixes', 'mailto:'.repeat(9000)],
    ['closing parentheses after a link', `${'('.repeat(1000)}http://a${')'.repeat(60000)}`],
    ['64 KiB of escape characters', '\x1b'.repeat(65536)],
    ['many fence openers', '```\n'.repeat(16000)],
  ];
  for (const [name, input] of slow) {
    it(`linear time: ${name}`, () => {
      const t0 = performance.now();
      parseMessage(input);
      assert.ok(performance.now() - t0 < 1000, `${name} took ${performance.now() - t0} ms`);
    });
  }

  it('fuzz: tokens never carry raw controls and links are only http(s)/mailto', () => {
    const alphabet = ['a', ' ', '\n', '`', '```', '<', '>', '"', '(', ')', '[', ']', ':', '/', '.', 'http://', 'https://x', 'mailto:a@b.c', 'javascript:', '\x1b', '\u009b', '\u202e', '\r', 'é', '\u200b', '\u200e', '\ufeff', '\u0430', '@', '\u3002', '例'];
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 2000; round++) {
      const input = Array.from({ length: random(40) }, () => alphabet[random(alphabet.length)]).join('');
      for (const block of parseMessage(input)) {
        const parts = block.kind === 'fence' ? [block.info, block.text] : block.inlines.flatMap((t) => [t.text, t.kind === 'link' ? t.href : '']);
        for (const part of parts) assert.doesNotMatch(part, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/, JSON.stringify(input));
        if (block.kind === 'paragraph') {
          for (const t of block.inlines) {
            if (t.kind === 'link') assert.match(t.href, /^(https?:\/\/|mailto:)/i, JSON.stringify(input));
            if (t.kind === 'link') assert.equal(t.text, t.href);
            if (t.kind === 'link') assert.doesNotMatch(t.text, /\p{Default_Ignorable_Code_Point}/u, JSON.stringify(input));
            if (t.kind === 'link' && !t.href.startsWith('mailto:')) {
              // Where it goes is what it reads: the parsed host, in ASCII, is in the link's text.
              const host = new URL(t.href).hostname;
              assert.match(host, /^[\x21-\x7e]+$/, JSON.stringify(input));
              assert.ok(t.text.toLowerCase().includes(host), `${JSON.stringify(input)}: ${t.text} goes to ${host}`);
            }
          }
        }
      }
    }
  });
});

describe('webview markup: visibleControls', () => {
  it('keeps tabs and newlines, replaces the rest', () => {
    assert.equal(visibleControls('a\tb\nc\x1bd'), 'a\tb\nc\u241bd');
  });

  it('returns the same string when there is nothing to replace', () => {
    const s = 'plain';
    assert.equal(visibleControls(s), s);
  });
});

describe('webview markup: a link cannot look like another host (issue 10)', () => {
  const hosts: [string, string, string][] = [
    ['a Cyrillic а in a Latin host', 'https://p\u0430ypal.com/login', 'https://xn--pypal-4ve.com/login'],
    ['a Latin script g look-alike', 'https://\u0261oogle.com', 'https://xn--oogle-qmc.com'],
    ['a whole-script Cyrillic host', 'https://\u0430\u0440\u0440\u04cf\u0435.com', 'https://xn--80ak6aa92e.com'],
    ['an ideographic full stop for "."', 'https://evil\u3002com/x', 'https://evil.com/x'],
    ['a fullwidth host', 'https://\uff45xample.com/', 'https://example.com/'],
    ['a hexadecimal IPv4 host', 'http://0x7f.1/', 'http://127.0.0.1/'],
    ['a decimal IPv4 host', 'http://2130706433:2410/', 'http://127.0.0.1:2410/'],
  ];
  for (const [what, typed, shown] of hosts) {
    it(`${what}: shown as the parser reads it`, () => {
      assert.deepEqual(parseMessage(`see ${typed} now`), [para(text('see '), link(shown), text(' now'))]);
      assert.equal(new URL(shown).hostname, new URL(typed).hostname, 'goes where it went before');
    });
  }

  const declined: [string, string, RegExp][] = [
    ['a zero-width space in the host', 'https://exa\u200bmple.com', /invisible character \(ZWSP\)/],
    ['a soft hyphen in the host', 'https://ex\u00adample.com', /invisible character \(SHY\)/],
    ['a left-to-right mark in the path', 'https://example.com/\u200e/x', /invisible character \(LRM\)/],
    ['a right-to-left mark after the host', 'https://example.com\u200f/x', /invisible character \(RLM\)/],
    ['an Arabic letter mark', 'https://a\u061c.com', /invisible character \(ALM\)/],
    ['a word joiner', 'https://a\u2060.com', /invisible character \(WJ\)/],
    ['a byte order mark (which is white space to a regex)', 'https://a.com\ufeffb', /invisible character \(ZWNBSP\)/],
    ['a zero-width joiner', 'https://a\u200d.com', /invisible character \(ZWJ\)/],
    ['a tag character', 'https://a.com/\u{e0041}', /invisible character \(TAG A\)/],
    ['a user name that reads like the host', 'https://google.com@evil.example/', /user name; this address goes to evil\.example/],
    ['a user name and password', 'https://google.com:login@evil.example/', /goes to evil\.example/],
  ];
  for (const [what, url, why] of declined) {
    it(`${what}: not a link, and says why`, () => {
      const inlines = inlinesOf(`see ${url} now`);
      assert.deepEqual(inlines[0], text('see '));
      suspect(url, why)(inlines[1]);
      assert.deepEqual(inlines[2], text(' now'));
    });
  }

  it('a right-to-left override ends the link where it stands, and is shown', () => {
    assert.deepEqual(parseMessage('https://evil.com\u202e/moc.elgoog'), [para(link('https://evil.com'), text('\ufffd/moc.elgoog'))]);
  });

  it('a declined link reveals its invisible characters when drawn', () => {
    const [, token] = inlinesOf('x https://exa\u200bmple.com');
    const drawn = pieces(token.text, true);
    assert.deepEqual(drawn.map((p) => (p.kind === 'text' ? p.text : `[${p.label}]`)), ['https://exa', '[ZWSP]', 'mple.com']);
  });

  it('an address the parser refuses is text', () => {
    assert.deepEqual(parseMessage('https://a.b:99999/'), [para(text('https://a.b:99999/'))]);
  });

  it('an ASCII host keeps its spelling', () => {
    for (const url of ['https://example.com/a?b=c#d', 'http://localhost:2410', 'https://EXAMPLE.COM/Path', 'https://xn--r8jz45g.jp/']) {
      assert.deepEqual(parseMessage(url), [para(link(url))]);
    }
  });
});

describe('webview markup: names and paths shown through visibleControls', () => {
  it('writes out invisible and bidi characters, as a name is shown', () => {
    assert.equal(visibleControls('ali\u200bce'), 'ali\u27e8ZWSP\u27e9ce');
    assert.equal(visibleControls('\u202eecila'), '\ufffdecila', 'an override is a control placeholder first');
    assert.equal(visibleControls('alice\u200f'), 'alice\u27e8RLM\u27e9');
    assert.equal(visibleControls('src/\u200ba.ts'), 'src/\u27e8ZWSP\u27e9a.ts');
  });

  it('leaves emoji and Persian joiners alone', () => {
    for (const s of ['👩‍💻', 'می‌خواهم', 'bob ☕️']) assert.equal(visibleControls(s), s);
  });
});

