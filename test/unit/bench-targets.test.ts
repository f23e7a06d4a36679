import { describe, expect, it } from 'vitest';
import { evaluateTargets, type BenchResults } from '../../bench/report.js';
import type { SendFigures } from '../../bench/send-throughput.js';

/** The targets a bench run is judged by (docs/BENCHMARKS.md), from figures made up for the purpose. */

function send(subscribers: number, overrides: Partial<SendFigures> = {}): SendFigures {
  return {
    subscribers,
    accepted: subscribers,
    distinctRecipients: subscribers,
    seconds: subscribers / 1000,
    messagesPerSecond: 1000,
    workers: 1,
    workerCpuUsPerMessage: 500,
    workerCpuPct: 50,
    postgresCpuS: 0,
    redisCpuS: 0,
    sinkCpuS: 0,
    machineBusyPct: 50,
    peakRssMb: 150,
    ledgerSettledSeconds: subscribers / 1000,
    averageMessageBytes: 40_000,
    benchVacuums: 0,
    ledgerBytesPerMessage: { deliveries: 200, sent_papers: 100, edition_variants: 10 },
    postgresBenchDatabaseCpuS: 0,
    deliveryUpdates: { all: 0, hot: 0, commits: 0 },
    ...overrides,
  };
}

const results = (overrides: Partial<BenchResults>): BenchResults => ({
  startedAt: new Date('2026-12-01T00:00:00Z'),
  command: 'npm run bench',
  section: 'full',
  poolSize: 5,
  machine: 'test',
  versions: 'test',
  scale: [],
  ...overrides,
});

const row = (rows: ReturnType<typeof evaluateTargets>, start: string) => rows.find((r) => r.target.startsWith(start));

describe('bench targets', () => {
  it('judges the DKIM CPU target against the signature timed during the send, saying so, and shows the idle ratio too', () => {
    const off = send(10_000, { workerCpuUsPerMessage: 500 });
    const rows = evaluateTargets(
      results({ send: off, dkimSend: { figures: send(10_000, { workerCpuUsPerMessage: 2000 }), offAgain: off, bareSignUs: 1200, idleBareSignUs: 900 } }),
    );
    const dkim = row(rows, 'DKIM-on send: extra worker CPU')!;
    expect(dkim.target).toContain('timed during that send (judged');
    // 1,500 µs extra: 1.25× the loaded signature (judged, passes), 1.67× the idle one.
    expect(dkim.measured).toContain('1.25× the 1,200 µs signature timed during the send (judged)');
    expect(dkim.measured).toContain('1.67× the 900 µs one timed idle');
    expect(dkim.pass).toBe(true);
  });

  it('judges the Postgres CPU target at 100,000 readers when the run has that point, else at its largest', () => {
    const scale = [send(10_000, { postgresCpuS: 0.5 }), send(100_000, { postgresCpuS: 8 }), send(1_000_000, { postgresCpuS: 120 })];
    const at100k = row(evaluateTargets(results({ scale })), 'Postgres CPU per email')!;
    expect(at100k).toMatchObject({ target: 'Postgres CPU per email ≤ 100 µs at 100,000', pass: true });
    expect(at100k.measured).toMatch(/^80 µs/);
    const without = row(evaluateTargets(results({ scale: [scale[0]!, scale[2]!] })), 'Postgres CPU per email')!;
    expect(without).toMatchObject({ target: 'Postgres CPU per email ≤ 100 µs at 1,000,000', pass: false });
  });
});
