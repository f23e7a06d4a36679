import { readFileSync } from 'node:fs';
import path from 'node:path';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/bounces');

export interface BounceFixtureValues {
  returnPath: string;
  messageId?: string;
  recipient?: string;
}

/**
 * A report from test/fixtures/bounces with its placeholders filled in, CRLF line ends as on the
 * wire. Read as Latin-1 and written back the same way, so its bytes (broken ones included) stay.
 */
export function bounceFixture(name: string, values: BounceFixtureValues): Buffer {
  const text = readFileSync(path.join(FIXTURES, name), 'latin1')
    .replaceAll('{{RETURN_PATH}}', values.returnPath)
    .replaceAll('{{MESSAGE_ID}}', values.messageId ?? '<digest.1.0000000000000000@paperboy.test>')
    .replaceAll('{{RECIPIENT}}', values.recipient ?? 'reader@example.com')
    .replace(/\r?\n/g, '\r\n');
  return Buffer.from(text, 'latin1');
}
