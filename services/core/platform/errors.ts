/**
 * Domain errors: thrown by shared code, mapped to HTTP by the API's one error handler and to
 * exit codes by the CLI. Their messages are written for the person who has to act on them.
 */
export interface ErrorDetail {
  /** Where the problem is: a field name, `items[3].paper.id`, `line 12`. */
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input that cannot be accepted; nothing was written. */
export class InvalidInputError extends DomainError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(message, 400, details);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super(message, 404);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(message, 409, details);
  }
}

/** A service Paperboy depends on (Postgres, Redis, SMTP, the HF API) is not answering. */
export class DependencyUnavailableError extends DomainError {
  constructor(message: string) {
    super(message, 503);
  }
}
