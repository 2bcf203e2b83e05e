/**
 * JSON Canonicalization Scheme (RFC 8785): the exact bytes a signature covers.
 *
 * Properties are sorted by their UTF-16 code units, numbers use ECMAScript's shortest round-trip form
 * (which `JSON.stringify` already produces for finite numbers), strings use `JSON.stringify`'s escaping
 * (the same as RFC 8785 §3.2.2.2), and there is no whitespace.
 */

/** A value that can be canonicalized: plain JSON. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when a string has no unpaired surrogate, i.e. it can be canonicalized (I-JSON). */
export function isWellFormedText(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

function serializeString(s: string): string {
  // I-JSON (RFC 7493), which RFC 8785 builds on, forbids unpaired surrogates.
  if (LONE_SURROGATE.test(s)) throw new TypeError('JCS: string with an unpaired surrogate');
  return JSON.stringify(s);
}

function serialize(value: unknown, out: string[]): void {
  if (value === null) {
    out.push('null');
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('JCS: non-finite number');
    out.push(JSON.stringify(value));
  } else if (typeof value === 'string') {
    out.push(serializeString(value));
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item: unknown, i) => {
      if (i > 0) out.push(',');
      serialize(item === undefined ? null : item, out);
    });
    out.push(']');
  } else if (typeof value === 'object') {
    // Default sort compares UTF-16 code units, which is exactly what RFC 8785 §3.2.3 asks for.
    const entries: [string, unknown][] = Object.entries(value);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    out.push('{');
    let first = true;
    for (const [key, item] of entries) {
      if (item === undefined) continue; // as JSON.stringify: an absent optional field
      if (!first) out.push(',');
      first = false;
      out.push(serializeString(key), ':');
      serialize(item, out);
    }
    out.push('}');
  } else {
    throw new TypeError(`JCS: cannot canonicalize a ${typeof value}`);
  }
}

/** The RFC 8785 canonical JSON text of a value; throws a `TypeError` on non-JSON input. */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  serialize(value, out);
  return out.join('');
}

/** UTF-8 bytes of {@link canonicalize}: what Ed25519 signs. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}
