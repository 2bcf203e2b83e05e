/**
 * Every code the relay (or the site itself) may answer with, in plain words for the person publishing:
 * what happened and, where there is one, what to do about it.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { LocalCode, RelayError, type RelayErrorCode } from '../../publisher/errors.ts';

const WORDS: { readonly [C in RelayErrorCode]: string } = {
  [ErrorCode.FRAME_TOO_LARGE]: 'The message was too large for the relay.',
  [ErrorCode.FRAME_TRUNCATED]: 'The message was cut off on its way to the relay. Try again.',
  [ErrorCode.BAD_UTF8]: 'The relay could not read the message (it was not valid UTF-8 text).',
  [ErrorCode.BAD_JSON]: 'The relay could not read the message (it was not valid JSON).',
  [ErrorCode.BAD_MESSAGE]: 'The relay did not understand the request (its shape was wrong).',
  [ErrorCode.UNKNOWN_TYPE]: 'The relay does not know this kind of message.',
  [ErrorCode.BAD_RELEASE]: 'The relay refused the release: it is not a well-formed release.',
  [ErrorCode.WRONG_ROOM]: 'The release is for a different room than the one it was sent to.',
  [ErrorCode.UNKNOWN_KEY]:
    'The relay does not trust this key for this room. The room was created with another key: import that key (or its backup) to publish here.',
  [ErrorCode.BAD_SIGNATURE]:
    'The signature does not verify: the release was changed after signing, or signed with the wrong key.',
  [ErrorCode.STALE_SEQ]:
    'Someone published a newer release in the meantime. Reload to start from the latest release, then publish again.',
  [ErrorCode.EXPIRED]: 'The release has already expired. Check this computer’s clock.',
  [ErrorCode.FROM_FUTURE]: 'The release is dated in the future. Check this computer’s clock.',
  [ErrorCode.BAD_SLOT]: 'One of the release’s slots is not valid.',
  [ErrorCode.HASH_MISMATCH]:
    'A file’s contents do not match the fingerprint (SHA-256) the release gives for it.',
  [ErrorCode.BLOB_MISSING]: 'The relay lacks a file the release names, and it was not sent along.',
  [ErrorCode.TOO_LARGE]: 'A file, or the whole request, is larger than the relay accepts.',
  [ErrorCode.BAD_IMAGE]: 'The texture is not an image the relay can decode (PNG, JPEG or WebP).',
  [ErrorCode.BAD_CONFIG]: 'The theme settings are not valid (colours must be #rrggbb).',
  [ErrorCode.BAD_SCRIPT]: 'The relay refused the script (too large or not valid UTF-8 text).',
  [ErrorCode.UPLOAD_NOT_EXPECTED]:
    'The relay accepts a file only for a release it has verified: publish the release first, then upload.',
  [ErrorCode.QUOTA_EXCEEDED]: 'The room (or this address) has used up its quota on the relay.',
  [ErrorCode.UNSUPPORTED_ENCODING]: 'The relay accepts only uncompressed requests.',
  [ErrorCode.OPERATOR_REQUIRED]:
    'Only an operator of the relay can create a room: enter the relay’s operator token on the Keys page (the relay printed where it is).',
  [ErrorCode.STALE_KEY_SET]:
    'The room’s keys changed in the meantime (a newer key set is live). Reload the Keys page and try again.',
  [ErrorCode.RATE_LIMITED]:
    'Too many requests or connections from this address. Wait a little and try again.',
  [ErrorCode.KEY_SET_EXPIRED]:
    'The room’s key set has expired: the relay takes no release until it is renewed. Renew it with “patchcast keys set --key K.json --expires 90d” (the same keys, a later expiry), then publish again.',
  [ErrorCode.BLOB_DEFERRED]:
    'The relay meters its blob egress: players take this blob chunk by chunk over their connection.',
  [ErrorCode.STORAGE_FULL]:
    'The relay’s disk is full: nothing was stored. Ask its operator to free space, then publish again.',
  [ErrorCode.NO_SEED_ROOM]: 'The relay serves no room to seed-protocol clients.',
  [ErrorCode.HELLO_REQUIRED]: 'The connection must start with a hello.',
  [ErrorCode.HELLO_TIMEOUT]: 'The connection said nothing in time and was closed.',
  [ErrorCode.HEARTBEAT_TIMEOUT]: 'The connection went silent and was closed.',
  [ErrorCode.TOO_SLOW]: 'The connection fell too far behind and was closed.',
  [ErrorCode.TOO_MANY_CONNECTIONS]: 'The relay has too many connections from this address right now.',
  [ErrorCode.NO_SUCH_ROOM]: 'The relay has no room of that name yet. Publishing a first release creates it.',
  [ErrorCode.REQUEST_TIMEOUT]:
    'The relay closed the connection: the request took too long to arrive. Check the network and try again.',
  [ErrorCode.ROOM_QUARANTINED]:
    "The relay found this room's files damaged when it started and refuses to serve or change it. Its operator must repair or move the room's directory and restart the relay.",
  [ErrorCode.FORBIDDEN]: 'The relay does not allow this.',
  [ErrorCode.NOT_AUTHORIZED]: 'The roster is shown only to holders of a key this room trusts.',
  [ErrorCode.PEER_ID_REFUSED]: 'The relay will not list this swarm id.',
  [ErrorCode.SERVER_SHUTDOWN]: 'The relay is shutting down. Try again in a moment.',
  [ErrorCode.INTERNAL]: 'The relay had an internal error. The previous release is still being served.',
  [ErrorCode.DUPLICATE_VERSION]:
    'This room already used that version label for other content. Choose another label (the proposed one is unused).',
  [ErrorCode.NO_SUCH_PLAN]: 'No guarded rollout of that id runs in this room (it may have ended meanwhile).',
  [ErrorCode.BAD_PLAN]:
    'The relay refused the guarded rollout (or a publish while one runs: halt it first, or wait for it to end).',
  [LocalCode.NETWORK]:
    'Could not reach the relay. Check the relay address on the Keys page and that the server is running.',
  [LocalCode.HTTP]: 'The relay answered with an unexpected error.',
  [LocalCode.BAD_RESPONSE]: 'The relay’s answer could not be understood.',
  [LocalCode.NO_SUCH_RELEASE]: 'The relay has no release with that seq in this room’s history.',
  [LocalCode.NOTHING_TO_PUBLISH]: 'Nothing to publish: everything you changed is already live.',
};

/** Plain words for a code. */
export function describeCode(code: RelayErrorCode): string {
  return WORDS[code];
}

/** Plain words for any error thrown while talking to the relay, with the relay's own message after. */
export function describeError(error: unknown): { code: string; words: string; detail: string } {
  if (error instanceof RelayError && error.untrusted) {
    // Not the relay's refusal: the publisher would not sign again what the relay served.
    const what = error.untrusted.charAt(0).toUpperCase() + error.untrusted.slice(1);
    return {
      code: error.code,
      words: `${what} on the relay is not signed by a key this browser trusts for the room, so its slots cannot be signed again under your key.`,
      detail: error.message,
    };
  }
  if (error instanceof RelayError) {
    const missing = error.missing.length
      ? ` Missing: ${error.missing.map((s) => s.slice(0, 12)).join(', ')}.`
      : '';
    return { code: error.code, words: describeCode(error.code), detail: `${error.message}${missing}` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'ERROR', words: 'Something went wrong in this page.', detail: message };
}
