/**
 * Domain errors: thrown by the core, they say what kind of problem it is, not how a shell
 * reports it. The API's one error handler maps kinds to HTTP statuses and the CLI maps them to
 * exit codes. Their messages are written for the person who has to act on them.
 */
export interface ErrorDetail {
  /** Where the problem is: a field name, `items[3].paper.id`, `line 12`. */
  field: string;
  message: string;
}

export type ErrorKind =
  /** The input cannot be accepted; nothing was written. */
  | 'invalid'
  | 'not-found'
  /** The request clashes with what is stored (e.g. an idempotency key reused for another request). */
  | 'conflict'
  /** A service Paperboy depends on (Postgres, Redis, SMTP, the HF API) is not answering. */
  | 'unavailable'
  /** A service Paperboy calls answered, but not with what was asked for. */
  | 'upstream';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The base of the named error classes below, which differ only by their kind. */
function errorOfKind(kind: ErrorKind) {
  return class extends DomainError {
    constructor(message: string, details: ErrorDetail[] = []) {
      super(kind, message, details);
    }
  };
}

export class InvalidInputError extends errorOfKind('invalid') {}
export class NotFoundError extends errorOfKind('not-found') {}
export class ConflictError extends errorOfKind('conflict') {}
export class DependencyUnavailableError extends errorOfKind('unavailable') {}
export class UpstreamError extends errorOfKind('upstream') {}
