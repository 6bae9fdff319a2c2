// What a soak run must show, as rows of the benchmark's table (measure | value | target | met?): a
// missed target reads NO, and the run as a whole FAILED. Nothing is left out because it failed.
import { kib, ms, num, pct, row, type Row } from '../lib/report';
import { hostileDatagramRate, PARTIAL_FRAGMENTS } from './hostile';
import type { SoakRun } from './run';

const MiB = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

/** Checks that hold for any run, with or without the hostile member. */
export function runRows(r: SoakRun): Row[] {
  const tag = r.hostile ? 'with hostile' : 'honest only';
  const h = r.honest;
  const arrived = h.delivered === h.expected && h.duplicates === 0 && h.outOfOrder === 0 && h.lost === 0 && h.undelivered === 0;
  const rows = [
    row(
      `soak ${tag}: honest messages arrive, once, in order`,
      `${num(h.delivered)} of ${num(h.expected)} deliveries (${num(h.sent)} messages x ${h.members} members); ${h.duplicates} twice, ${h.outOfOrder} out of order, ${h.lost} lost, ${h.undelivered} unacknowledged at the end`,
      'all, 0, 0, 0, 0',
      arrived,
    ),
    row(
      `soak ${tag}: kill -9 + restart loses nothing acknowledged`,
      `${num(r.restart.acknowledged - r.restart.missing)} of ${num(r.restart.acknowledged)} acknowledged messages given back by the restarted relay (killed after ${(r.restart.killedAfterMs / 1000).toFixed(1)} s, listening again ${ms(r.restart.downMs, 0)} later; ${r.restart.complete ? `the verifier had them all after ${ms(r.restart.ms, 0)}` : `the verifier gave up after ${ms(r.restart.ms, 0)}`}${r.restart.gone ? `, ${num(r.restart.gone)} seqs gone` : ''})${r.restart.examples.length ? `; ${r.restart.examples.join('; ')}` : ''}`,
      'all',
      r.restart.acknowledged > 0 && r.restart.missing === 0,
    ),
    row(
      `soak ${tag}: relay memory (peak VmRSS) under its cap`,
      `${MiB(r.memory.peakRss)} (with the room joined ${MiB(r.caps.rssBase)}; ${r.memory.samples} samples)`,
      `<= ${MiB(r.caps.rssBytes)}: ${r.caps.rssRule}`,
      r.memory.peakRss > 0 && r.memory.peakRss <= r.caps.rssBytes,
    ),
    row(
      `soak ${tag}: store on disk under its cap`,
      `peak ${MiB(r.disk.peakBytes)}, at the end ${MiB(r.disk.endBytes)}`,
      `<= ${MiB(r.caps.storeBytes)} (${r.caps.storeBytesFlag ? '--store-bytes' : 'no --store-bytes in this relay: its documented default'}, 2 x --history-bytes)`,
      r.disk.peakBytes <= r.caps.storeBytes,
    ),
    row(`soak ${tag}: the relay process survives`, r.relayExits.crashed.length ? r.relayExits.crashed.join('; ') : 'ran until the kill, and again until stopped', 'no crash', r.relayExits.crashed.length === 0),
    row(`soak ${tag}: honest latency (all messages)`, latencyText(r.latency.all)),
  ];
  if (r.hostile) {
    const by = Object.entries(r.sequencedTwice.by).map(([k, v]) => `${v} of the ${k}'s`).join(', ');
    rows.push(row(`soak ${tag}: no retransmission sequenced twice`, `${r.sequencedTwice.count} hostile (sender, msgId) pairs delivered twice${by ? `: ${by}` : ''}`, '0', r.sequencedTwice.count === 0));
    rows.push(...hostileRows(r));
  }
  return rows;
}

const latencyText = (s: SoakRun['latency']['all']) => `p50 ${ms(s.p50, 2)}, p99 ${ms(s.p99, 2)}, max ${ms(s.max, 1)} (${num(s.n)} deliveries)`;

/** The comparison the issue asks for: honest p99 with the hostile within 2x of the same run without. */
export function latencyRow(quiet: SoakRun, loud: SoakRun): Row {
  const ratio = loud.latency.steady.p99 / quiet.latency.steady.p99;
  return row(
    'soak: honest p99 with the hostile / without (outside the restart)',
    `${ratio.toFixed(2)}x (${ms(loud.latency.steady.p99, 2)} vs ${ms(quiet.latency.steady.p99, 2)}; p50 ${ms(loud.latency.steady.p50, 2)} vs ${ms(quiet.latency.steady.p50, 2)})`,
    '<= 2x',
    Number.isFinite(ratio) && ratio <= 2,
  );
}

function hostileRows(r: SoakRun): Row[] {
  const s = r.hostileStats;
  const rt = r.hostileRates!;
  const rates = `${num(hostileDatagramRate(rt))} datagrams/s: Resend ${rt.resend}/s, RosterRequest ${rt.roster}/s, ${rt.churnJoins} new ids/s, ${rt.partial} partial messages/s (${PARTIAL_FRAGMENTS} fragments each), ${rt.held} held/s, ${rt.seed} control-character seed lines/s, ${rt.fresh} messages/s + ${rt.late} late retransmissions/s, ${rt.malformed} malformed/s`;
  if (!s) return [row('soak with hostile: what the hostile member did', `not reported (its process died); offered ${rates}`)];
  const sent = Object.values(s.sent).reduce((a, b) => a + b, 0);
  const received = Object.entries(s.received).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${num(v)}`).join(', ');
  return [
    row('soak with hostile: its rates (the default limits of one host)', rates),
    row('soak with hostile: what it sent', `${num(sent)} datagrams, ${kib(s.bytesOut)} in ${s.seconds.toFixed(1)} s from ${s.host}; ${s.roleMembers} of 4 role members got in, ${s.rejoins} rejoined after the restart`),
    row('soak with hostile: what the relay sent it', `${kib(s.bytesIn)} in ${num(s.datagramsIn)} datagrams (${(s.bytesIn / Math.max(1, s.bytesOut)).toFixed(1)}x its bytes): ${received}`),
    row('soak with hostile: id/port churn', `${num(s.sent.churnJoins)} new ids tried, ${num(s.churnAdmitted)} admitted, ${num(s.churnRefused)} refused${Object.keys(s.refused).length ? ` (refusals: ${Object.entries(s.refused).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`),
    row('soak with hostile: late retransmissions', `${num(s.sent.late)} sent, ${num(s.lateAckedWithSeq)} answered with their seq (${pct(s.lateAckedWithSeq / Math.max(1, s.sent.late), 0)})`),
  ];
}
