import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  /** Moves the bar to `done` (of `total`, when known). */
  update(done: number, total?: number): void;
  /** A line of its own (a warning, a notice) that the bar does not overwrite. */
  note(line: string): void;
  stop(): void;
}

/**
 * A progress bar on a terminal; on a pipe (CI, logs) a plain line every few seconds instead,
 * so long commands always show they are alive.
 */
export function createProgress(label: string, total = 0, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new SingleBar(
      { format: `${label} [{bar}] {value}/{total} {percentage}% | {eta_formatted} left`, hideCursor: true, stream },
      Presets.shades_classic,
    );
    bar.start(total, 0);
    return {
      update(done, newTotal) {
        if (newTotal !== undefined) bar.setTotal(newTotal);
        bar.update(done);
      },
      note(line) {
        // Clear the bar's line and write ours; the bar is drawn again below it when it next moves.
        stream.write(`\r\x1b[K${line}\n`);
      },
      stop: () => bar.stop(),
    };
  }
  let lastPrint = 0;
  let current = 0;
  let knownTotal = total;
  const print = () => stream.write(`${label}: ${current}${knownTotal ? `/${knownTotal}` : ''}\n`);
  return {
    update(done, newTotal) {
      current = done;
      if (newTotal !== undefined) knownTotal = newTotal;
      if (Date.now() - lastPrint > 2000) {
        lastPrint = Date.now();
        print();
      }
    },
    note: (line) => stream.write(`${line}\n`),
    stop: print,
  };
}
