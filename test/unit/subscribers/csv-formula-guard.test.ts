import { describe, expect, it } from 'vitest';
import { guardCell, unguardCell } from '../../../services/core/subscribers/csv-formula-guard.js';

describe('the CSV formula guard', () => {
  const values = ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1', "'=1", "''+1", "'", "'plain", 'plain', '', 'a=1', '2026-01-02T03:04:05.000Z'];

  it('starts no cell with a character a spreadsheet runs as a formula', () => {
    for (const value of values) expect(guardCell(value)).not.toMatch(/^[=+\-@\t\r]/);
    expect(guardCell('=1+1')).toBe("'=1+1");
    expect(guardCell("'plain")).toBe("'plain");
    expect(guardCell('plain')).toBe('plain');
  });

  it('reads every guarded cell back to its value', () => {
    for (const value of values) expect(unguardCell(guardCell(value))).toBe(value);
  });
});
