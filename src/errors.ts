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
    super(oneLine(message));
  }
}

/** Longest user error message; beyond it the middle is elided (names read from files can be huge). */
export const MAX_MESSAGE_CHARS = 2000;

/**
 * Makes text from untrusted input printable on one line: control characters (newlines,
 * escapes that move the cursor or recolour the terminal) and bidirectional overrides are
 * written as \n, \xNN or \u{NNNN}, and overlong text keeps its head and tail.
 */
export function oneLine(text: string, maxChars = MAX_MESSAGE_CHARS): string {
  let s = text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
  if (s.length > maxChars) {
    const half = Math.floor((maxChars - 5) / 2);
    s = `${s.slice(0, half)} ... ${s.slice(s.length - half)}`;
  }
  return s;
}

/** A name read from a file, quoted and shortened for an error message: 'conv1', '(unnamed)'. */
export function quoteName(name: string | null | undefined, maxChars = 80): string {
  if (!name) return '(unnamed)';
  return `'${oneLine(name, maxChars)}'`;
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

/**
 * A bug in snnc, found by a check of its own (the one way to report one: `throw new
 * InternalError(...)` or `invariant(...)`). The CLI prints it with its stack and exits 70, as
 * it does any other error that is not a UserError.
 */
export class InternalError extends Error {
  override readonly name = 'InternalError';
}

/**
 * Not an error of the input or of snnc: `snnc check` ran and found a regression, which it has
 * printed. The CLI's handler ends with exit code 1 (EXIT_REGRESSION) and prints nothing more.
 */
export class RegressionFound extends Error {
  override readonly name = 'RegressionFound';
}

/** Throws an internal error (a bug in snnc) unless `condition` holds. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InternalError(message);
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
