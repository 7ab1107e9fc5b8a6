/**
 * The two error kinds of snnc.
 *
 * UserError: the input is wrong (bad file, unsupported op, bad flag). The CLI prints its
 * one-line message and exits with code 2. The message names the file / node / op / tensor
 * and what was expected versus what was found.
 *
 * Anything else that escapes is a bug: the CLI reports it as an internal error with its
 * stack and exits with code 70 (EX_SOFTWARE).
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string) {
    super(message);
  }
}

export const EXIT_OK = 0;
/** A check that ran and found a regression (snnc check). */
export const EXIT_REGRESSION = 1;
export const EXIT_USER_ERROR = 2;
export const EXIT_INTERNAL_ERROR = 70;

/** Throws a UserError unless `condition` holds. */
export function expectUser(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new UserError(typeof message === 'function' ? message() : message);
}

/** Throws an internal error (a bug in snnc) unless `condition` holds. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant violated: ${message}`);
}

/** Prefixes a UserError's message with a context (usually a file name); other errors pass through. */
export function withContext<T>(context: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw addContext(context, err);
  }
}

export async function withContextAsync<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw addContext(context, err);
  }
}

function addContext(context: string, err: unknown): unknown {
  if (err instanceof UserError && !err.message.startsWith(context)) return new UserError(`${context}: ${err.message}`);
  return err;
}
