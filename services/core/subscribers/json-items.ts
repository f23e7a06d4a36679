import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a stream of JSON text into its top-level objects without holding the whole document:
 * a JSON array of objects (`[{...}, {...}]`), or objects one after another (NDJSON). Only
 * string and nesting state is tracked; each object's text is handed to JSON.parse on its own,
 * so memory is bounded by the largest single object.
 */

export class JsonStreamError extends Error {
  constructor(
    message: string,
    /** 1-based number of the item the problem is in (or after). */
    readonly item: number,
  ) {
    super(message);
  }
}

const MAX_ITEM_CHARS = 64 * 1024;

export async function* jsonObjects(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<{ item: number; value: unknown }> {
  let mode: 'unknown' | 'array' | 'stream' = 'unknown';
  let arrayClosed = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: string[] = [];
  let partStart = -1;
  let itemLength = 0;
  let item = 0;

  // A UTF-8 character may be split between two chunks; the decoder holds the partial bytes.
  const decoder = new StringDecoder('utf8');
  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? raw : decoder.write(raw);
    partStart = depth > 0 ? 0 : -1;
    const completed: Array<{ item: number; text: string }> = [];
    for (let i = 0; i < chunk.length; i++) {
      const char = chunk[i] as string;
      if (depth > 0) {
        if (inString) {
          if (escaped) escaped = false;
          else if (char === '\\') escaped = true;
          else if (char === '"') inString = false;
        } else if (char === '"') inString = true;
        else if (char === '{' || char === '[') depth++;
        else if (char === '}' || char === ']') {
          depth--;
          if (depth === 0) {
            parts.push(chunk.slice(partStart, i + 1));
            completed.push({ item, text: parts.join('') });
            parts = [];
            partStart = -1;
            itemLength = 0;
          }
        }
        continue;
      }
      // Between items.
      if (char === ' ' || char === '\n' || char === '\r' || char === '\t' || char === '\uFEFF') continue;
      if (mode === 'unknown') {
        mode = char === '[' ? 'array' : 'stream';
        if (char === '[') continue;
      }
      if (arrayClosed) throw new JsonStreamError('Unexpected text after the closing ] of the array', item);
      if (char === ',' && mode === 'array') continue;
      if (char === ']' && mode === 'array') {
        arrayClosed = true;
        continue;
      }
      if (char !== '{') throw new JsonStreamError(`Expected an object ({...}) as item ${item + 1}, found "${char}"`, item + 1);
      item++;
      depth = 1;
      partStart = i;
    }
    for (const { item: number, text } of completed) {
      try {
        yield { item: number, value: JSON.parse(text) };
      } catch (error) {
        throw new JsonStreamError(`Item ${number} is not valid JSON: ${(error as Error).message}`, number);
      }
    }
    if (depth > 0) {
      const rest = chunk.slice(partStart);
      parts.push(rest);
      itemLength += rest.length;
      if (itemLength > MAX_ITEM_CHARS) throw new JsonStreamError(`Item ${item} is longer than ${MAX_ITEM_CHARS} characters`, item);
    }
  }
  if (depth > 0 || inString) throw new JsonStreamError(`The JSON ends inside item ${item}`, item);
  if (mode === 'array' && !arrayClosed) throw new JsonStreamError('The JSON array is not closed with ]', item);
}
