/**
 * The check of a script blob, shared by the relay (before it stores a release) and the headless client
 * (before it acks a script as applied). Kept apart from `content.ts` so the client doesn't load sharp.
 */
import { ErrorCode, MAX_SCRIPT_BYTES, fail, ok, type Result } from '../../protocol/index.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Checks that a script is UTF-8 text without NUL characters, within {@link MAX_SCRIPT_BYTES}. */
export function checkScript(bytes: Uint8Array): Result<null> {
  if (bytes.length > MAX_SCRIPT_BYTES)
    return fail(ErrorCode.TOO_LARGE, `script is over ${MAX_SCRIPT_BYTES} bytes`);
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return fail(ErrorCode.BAD_SCRIPT, 'script is not valid UTF-8');
  }
  if (text.includes('\u0000')) return fail(ErrorCode.BAD_SCRIPT, 'script contains NUL characters');
  return ok(null);
}
