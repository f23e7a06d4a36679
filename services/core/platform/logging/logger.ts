import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
const TOKEN_PARAM = /([?&](?:token|t)=)[^&#\s"]+/gi;

/**
 * Removes what must never reach a log: email addresses and link tokens. Applied to every
 * message string, URL and error text, so a careless log call cannot leak them.
 */
export function scrubSecrets(text: string): string {
  return text.replace(TOKEN_PARAM, '$1[redacted]').replace(EMAIL, '[email]');
}

function scrubValue(value: unknown): unknown {
  return typeof value === 'string' ? scrubSecrets(value) : value;
}

export interface LoggerOptions {
  level: string;
  /** Where lines go; tests pass a stream to read them back. */
  destination?: DestinationStream;
}

/** The one root logger of a process; API and worker take children of it. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'paperboy' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'email',
          '*.email',
          'to',
          '*.to',
          'token',
          '*.token',
        ],
        censor: '[redacted]',
      },
      serializers: {
        err: (error: Error) => {
          const serialized = stdSerializers.err(error);
          return { ...serialized, message: scrubSecrets(serialized.message), stack: scrubSecrets(serialized.stack ?? '') };
        },
        req: (req: { method: string; url: string; ip?: string; id?: string }) => ({
          id: req.id,
          method: req.method,
          url: scrubSecrets(req.url),
          ip: req.ip,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      hooks: {
        // Scrub interpolation arguments and the message itself, whatever the call site passed.
        logMethod(args, method) {
          method.apply(this, args.map(scrubValue) as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}
