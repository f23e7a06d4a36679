/**
 * When a send run must stop itself: a spike of hard bounces or spam complaints means the list
 * (or the mail) is bad, and sending the rest would hurt the sender's reputation with every
 * mailbox provider. Pure: the deliver path reads the numbers, this decides.
 */

export interface AutoPauseThresholds {
  /** Below this many attempts the rates say too little to act on. */
  minAttempts: number;
  /** Shares (0..1) that must be passed, not reached. */
  hardBounceRate: number;
  complaintRate: number;
}

export interface RunHealth {
  /** Deliveries of the run that went to the server: sent, failed or bounced. */
  attempts: number;
  hardBounces: number;
  complaints: number;
}

const percent = (share: number) => `${Number((share * 100).toFixed(2))} %`;

/** Why the run must pause, in words for the operator, or undefined when it may go on. */
export function autoPauseReason(health: RunHealth, thresholds: AutoPauseThresholds): string | undefined {
  const { attempts, hardBounces, complaints } = health;
  if (attempts < thresholds.minAttempts) return undefined;
  if (hardBounces / attempts > thresholds.hardBounceRate) {
    return `hard bounces at ${percent(hardBounces / attempts)} (${hardBounces} of ${attempts} attempts), over the ${percent(thresholds.hardBounceRate)} limit`;
  }
  if (complaints / attempts > thresholds.complaintRate) {
    return `spam complaints at ${percent(complaints / attempts)} (${complaints} of ${attempts} attempts), over the ${percent(thresholds.complaintRate)} limit`;
  }
  return undefined;
}

/**
 * Whether counting the run's attempts could lead to a pause, knowing only that they are at least
 * `attemptsAtLeast` (attempts never go down). While the counters stay within the limits of that
 * many attempts (or of the minimum, whichever is more), no count can pass them: the rates only
 * fall as attempts grow. So a healthy run counts its attempts only when its bounces or
 * complaints have grown by a good share since the last count, a few times over a whole send.
 */
export function attemptsWorthCounting(
  counters: Pick<RunHealth, 'hardBounces' | 'complaints'>,
  attemptsAtLeast: number,
  thresholds: AutoPauseThresholds,
): boolean {
  const floor = Math.max(attemptsAtLeast, thresholds.minAttempts);
  return counters.hardBounces > thresholds.hardBounceRate * floor || counters.complaints > thresholds.complaintRate * floor;
}
