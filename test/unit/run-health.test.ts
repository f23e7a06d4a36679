import { describe, expect, it } from 'vitest';
import { attemptsWorthCounting, autoPauseReason } from '../../services/core/sending/run-health.js';

const LIMITS = { minAttempts: 500, hardBounceRate: 0.05, complaintRate: 0.001 };

describe('autoPauseReason', () => {
  it('leaves a run alone below the minimum of attempts, however bad its rates', () => {
    expect(autoPauseReason({ attempts: 499, hardBounces: 400, complaints: 50 }, LIMITS)).toBeUndefined();
  });

  it('pauses when hard bounces pass their share, not when they reach it', () => {
    expect(autoPauseReason({ attempts: 500, hardBounces: 25, complaints: 0 }, LIMITS)).toBeUndefined();
    expect(autoPauseReason({ attempts: 500, hardBounces: 26, complaints: 0 }, LIMITS)).toBe(
      'hard bounces at 5.2 % (26 of 500 attempts), over the 5 % limit',
    );
  });

  it('pauses when complaints pass their share', () => {
    expect(autoPauseReason({ attempts: 2000, hardBounces: 0, complaints: 2 }, LIMITS)).toBeUndefined();
    expect(autoPauseReason({ attempts: 2000, hardBounces: 0, complaints: 3 }, LIMITS)).toBe(
      'spam complaints at 0.15 % (3 of 2000 attempts), over the 0.1 % limit',
    );
  });

  it('follows configured thresholds', () => {
    const strict = { minAttempts: 10, hardBounceRate: 0.01, complaintRate: 0.5 };
    expect(autoPauseReason({ attempts: 10, hardBounces: 1, complaints: 0 }, strict)).toMatch(/^hard bounces at 10 %/);
  });
});

describe('attemptsWorthCounting', () => {
  it('skips the count while the counters cannot pass the limits of the attempts known', () => {
    expect(attemptsWorthCounting({ hardBounces: 25, complaints: 0 }, 0, LIMITS)).toBe(false);
    expect(attemptsWorthCounting({ hardBounces: 26, complaints: 0 }, 0, LIMITS)).toBe(true);
    expect(attemptsWorthCounting({ hardBounces: 400, complaints: 9 }, 10_000, LIMITS)).toBe(false);
    expect(attemptsWorthCounting({ hardBounces: 400, complaints: 11 }, 10_000, LIMITS)).toBe(true);
  });

  it('never skips a count that would pause', () => {
    for (const attempts of [500, 900, 5_000, 100_000]) {
      for (const known of [0, 100, attempts / 2, attempts]) {
        for (const hardBounces of [0, Math.floor(attempts * 0.05), Math.floor(attempts * 0.05) + 1, attempts]) {
          const health = { attempts, hardBounces, complaints: 0 };
          if (autoPauseReason(health, LIMITS)) expect(attemptsWorthCounting(health, known, LIMITS)).toBe(true);
        }
      }
    }
  });
});
