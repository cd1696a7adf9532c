/**
 * The arguments of `request()`, checked the way the W3C Web Locks API checks them (WebIDL
 * conversions first, then the spec's own rules), so errors are those a browser or Node's
 * `navigator.locks` throws: `TypeError` for a callback that is not a function, a mode that is
 * not `'exclusive'` or `'shared'`, options that are not an object or a signal that is not an
 * `AbortSignal`; `NotSupportedError` `DOMException` for a name starting with `-` and for the
 * option combinations the spec forbids.
 *
 * @packageDocumentation
 */
import type { LockGrantedCallback, LockMode } from './types';

/** A validated request. */
export interface RequestArgs<T> {
  readonly name: string;
  readonly mode: LockMode;
  readonly ifAvailable: boolean;
  readonly steal: boolean;
  readonly signal: AbortSignal | undefined;
  readonly callback: LockGrantedCallback<T>;
}

function typeError(message: string): TypeError {
  const err = new TypeError(message) as TypeError & { code: string };
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

function notSupported(message: string): DOMException {
  return new DOMException(message, 'NotSupportedError');
}

/** WebIDL `DOMString` conversion: anything but a Symbol becomes a string. */
function toDomString(value: unknown): string {
  if (typeof value === 'symbol') throw typeError('name: a Symbol cannot be converted to a string');
  return String(value);
}

/**
 * Parses `request(name, callback)` / `request(name, options, callback)`. Throws the error
 * the caller's promise must reject with.
 */
export function parseRequest<T>(name: unknown, optionsOrCallback: unknown, maybeCallback: unknown): RequestArgs<T> {
  const callbackOnly = maybeCallback === undefined && typeof optionsOrCallback === 'function';
  const options = callbackOnly ? undefined : optionsOrCallback;
  const callback = callbackOnly ? optionsOrCallback : maybeCallback;
  const lockName = toDomString(name);
  if (options !== undefined && options !== null && typeof options !== 'object' && typeof options !== 'function') {
    throw typeError('options: expected an object');
  }
  const o = (options ?? {}) as Record<string, unknown>;
  const mode = o.mode ?? 'exclusive';
  if (mode !== 'exclusive' && mode !== 'shared') {
    throw typeError(`options.mode: expected 'exclusive' or 'shared', received ${typeof mode === 'string' ? JSON.stringify(mode) : typeof mode}`);
  }
  const signal = o.signal ?? undefined;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw typeError('options.signal: expected an AbortSignal');
  if (typeof callback !== 'function') throw typeError('callback: expected a function');
  const ifAvailable = Boolean(o.ifAvailable);
  const steal = Boolean(o.steal);
  if (lockName.startsWith('-')) throw notSupported(`lock names starting with '-' are reserved: ${JSON.stringify(lockName)}`);
  if (steal && ifAvailable) throw notSupported("options 'steal' and 'ifAvailable' cannot be used together");
  if (steal && mode !== 'exclusive') throw notSupported("option 'steal' requires mode 'exclusive'");
  if (signal !== undefined && (steal || ifAvailable)) throw notSupported("option 'signal' cannot be used with 'steal' or 'ifAvailable'");
  return { name: lockName, mode, ifAvailable, steal, signal, callback: callback as LockGrantedCallback<T> };
}
