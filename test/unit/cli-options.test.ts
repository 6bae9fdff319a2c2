// The options tables walked flag by flag: each number flag at its least value parses and the relay
// itself accepts it, one below is refused by `whatsudp` with exit 2 and a line naming the flag, and
// --help and docs/PROTOCOL.md show what the table says. `--backfill 0` gives a new member no history.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChatError, Relay, CLIENT_TIMER_OPTIONS, RELAY_LIMIT_OPTIONS, RELAY_TIMER_OPTIONS, showDefault, showValue, type OptionTable } from '../../src/chat';
import { parseChatArgs, parseRelayArgs } from '../../src/cli/args';
import { CHAT_NUMBER_FLAGS, RELAY_NUMBER_FLAGS } from '../../src/cli/flags';
import { CLI, cliBuilt, spawnCli, startRelay, stopAll } from './helpers/cli-proc';

const skip = !cliBuilt() && `${CLI} is not built (run node esbuild.mjs)`;
const ROOT = path.resolve(__dirname, '../../..');

afterEach(stopAll);
after(stopAll);

describe('options table: every relay flag', () => {
  it('covers every relay limit and timer but the amplification bound, each flag once', () => {
    const keys = RELAY_NUMBER_FLAGS.map((f) => f.key);
    assert.deepEqual(keys, [...Object.keys(RELAY_LIMIT_OPTIONS).filter((k) => k !== 'unvalidatedAddresses'), ...Object.keys(RELAY_TIMER_OPTIONS)]);
    const flags = [...RELAY_NUMBER_FLAGS, ...CHAT_NUMBER_FLAGS].map((f) => f.flag);
    assert.equal(new Set(flags).size, flags.length);
  });

  for (const { flag, group, key, option } of RELAY_NUMBER_FLAGS) {
    it(`--${flag} ${option.min} (its least) parses and the relay starts with it`, async () => {
      // --store-bytes is about a store, so it comes with one.
      const store = flag === 'store-bytes' ? mkdtempSync(path.join(tmpdir(), 'whatsudp-opt-')) : undefined;
      after(() => store && rmSync(store, { recursive: true, force: true }));
      const { options } = parseRelayArgs([`--${flag}`, String(option.min), ...(store ? ['--store', store] : [])]);
      assert.deepEqual(options[group as 'limits' | 'timers'], { [key]: option.min });
      const relay = await Relay.start({ ...options, host: '127.0.0.1', port: 0 });
      await relay.close();
    });

    it(`--${flag} ${option.min - 1} is refused, and so is ${group}.${key} = ${option.min - 1} by the relay`, async () => {
      assert.throws(() => parseRelayArgs([`--${flag}=${option.min - 1}`]), new RegExp(`^UsageError: --${flag} must be a whole number of at least ${option.min}`));
      await assert.rejects(Relay.start({ host: '127.0.0.1', port: 0, [group]: { [key]: option.min - 1 } }), (err: unknown) => {
        assert.ok(err instanceof ChatError && err.code === 'BAD_OPTION');
        assert.match(err.message, new RegExp(`^${group}\\.${key} must be a number of at least ${option.min}, not ${option.min - 1}\\.$`));
        return true;
      });
    });
  }

  it('the relay refuses a limit it does not have, rather than ignoring a typo', async () => {
    await assert.rejects(Relay.start({ port: 0, limits: { backfill: 0 } as object }), /limits\.backfill is not an option; the limits are maxMembers, /);
  });

  it('chat flags at their least parse, one below is refused naming the flag', () => {
    for (const { flag, key, option } of CHAT_NUMBER_FLAGS) {
      const args = parseChatArgs(['--name', 'ann', `--${flag}`, String(option.min)]);
      assert.equal(args[key as 'waitMs' | 'joinTimeoutMs'], option.min);
      assert.throws(() => parseChatArgs(['--name', 'ann', `--${flag}=${option.min - 1}`]), new RegExp(`^UsageError: --${flag} must be a whole number from ${option.min} to ${option.max}`));
      assert.throws(() => parseChatArgs(['--name', 'ann', `--${flag}=${(option.max ?? 0) + 1}`]), new RegExp(`--${flag} must be a whole number`));
    }
  });
});

describe('options table: whatsudp as a user meets it', { skip, timeout: 60_000 }, () => {
  it('refuses each number flag below its least with exit 2 and one line naming it', async () => {
    const cases = [
      ...RELAY_NUMBER_FLAGS.map((f) => ['relay', `--${f.flag}=${f.option.min - 1}`]),
      ...CHAT_NUMBER_FLAGS.map((f) => ['chat', '--name', 'ann', `--${f.flag}=${f.option.min - 1}`]),
    ];
    for (const args of cases) {
      const p = spawnCli(args);
      const exit = await p.exitWithin(10_000);
      const flag = args[args.length - 1].split('=')[0];
      assert.equal(exit.code, 2, `${args.join(' ')}: ${p.stderr.join('\n')}`);
      assert.equal(p.stderr.length, 1, p.stderr.join('\n'));
      assert.match(p.stderr[0], new RegExp(`^whatsudp: ${flag} must be a whole number .*\\(see whatsudp ${args[0]} --help\\)$`));
      assert.deepEqual(p.stdout, []);
    }
  });

  it('--help shows each number flag with its default from the table', async () => {
    for (const [command, flags, shown] of [
      ['relay', RELAY_NUMBER_FLAGS, (d: string) => `[${d}]`],
      ['chat', CHAT_NUMBER_FLAGS, (d: string) => `(default ${d})`],
    ] as const) {
      const p = spawnCli([command, '--help']);
      assert.equal((await p.exitWithin(10_000)).code, 0);
      for (const { flag, option } of flags) {
        const line = p.stdout.find((l) => l.trimStart().startsWith(`--${flag} N `));
        assert.ok(line, `${command} --help has a line for --${flag}`);
        assert.ok(line.endsWith(`${option.help} ${shown(showDefault(option))}`), line);
      }
    }
  });

  it('relay --backfill 0: a new member gets no history, only what is sent after it joined', async () => {
    const { address } = await startRelay(['--backfill', '0']);
    const ann = spawnCli(['chat', '--name', 'ann', '--server', address]);
    ann.end('before\n');
    assert.equal((await ann.exitWithin(15_000)).code, 0, ann.stderr.join('\n'));
    const bob = spawnCli(['chat', '--name', 'bob', '--server', address, '--json']);
    await bob.waitForLine('stderr', /^\* joined the room at /, 5000);
    bob.end('after\n');
    assert.equal((await bob.exitWithin(15_000)).code, 0, bob.stderr.join('\n'));
    const got = bob.stdout.map((l) => JSON.parse(l) as { seq: number; text: string; backfill: boolean });
    assert.deepEqual(got.map((m) => [m.seq, m.text, m.backfill]), [[2, 'after', false]]);
  });
});

/** The markdown table docs/PROTOCOL.md must carry for an options table. */
function markdown(table: OptionTable, flagPrefix: string): string {
  const rows = Object.entries(table).map(([key, o]) => {
    const unit = o.unit === 'ms' ? ' ms' : '';
    const flag = o.flag ? `\`${flagPrefix} --${o.flag}\`` : '';
    return `| ${o.help} | ${showDefault(o, true)}${unit} | ${showValue(o, o.min, true)}${unit} | ${flag} | \`${key}\` |`;
  });
  return ['| what | default | least | flag | option |', '|---|---|---|---|---|', ...rows].join('\n');
}

describe('options table: docs/PROTOCOL.md', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'PROTOCOL.md'), 'utf8');
  for (const [name, table, prefix] of [
    ['relay limits', RELAY_LIMIT_OPTIONS, 'relay'],
    ['relay timers', RELAY_TIMER_OPTIONS, 'relay'],
    ['client timers', CLIENT_TIMER_OPTIONS, 'chat'],
  ] as const) {
    it(`shows the ${name} as the table has them`, () => {
      const expected = markdown(table, prefix);
      assert.ok(doc.includes(expected), `docs/PROTOCOL.md should carry this table of the ${name}:\n${expected}`);
    });
  }
});
