/**
 * The relay's operator token: from `--operator-token-file`, else `PATCHCAST_OPERATOR_TOKEN`, else the
 * data dir's `operator-token` file, which `serve` creates (mode 0600) the first time. Whoever holds
 * it may create rooms on the relay (`patchcast room create --operator-token-file …`, the admin site).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MIN_OPERATOR_TOKEN_LENGTH } from '../http/operators.ts';
import { writeFileAtomic } from '../store/atomic.ts';
import { CliError } from './io.ts';

/** Name of the generated token file in the data dir. */
export const OPERATOR_TOKEN_FILE = 'operator-token';

/** Where the token came from, and the token. */
export interface OperatorToken {
  readonly token: string;
  /** The file it is in, or null when it came from the environment. */
  readonly path: string | null;
  /** True when `serve` generated it just now. */
  readonly generated: boolean;
}

/** Reads a token file (whitespace around it ignored); a usage error when unreadable or too short. */
export async function readOperatorToken(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read operator token file ${path}: ${error instanceof Error ? error.message : String(error)}`,
      2,
    );
  }
  return checked(text.trim(), path);
}

function checked(token: string, where: string): string {
  if (token.length < MIN_OPERATOR_TOKEN_LENGTH || /\s/.test(token)) {
    throw new CliError(
      `${where}: an operator token is at least ${MIN_OPERATOR_TOKEN_LENGTH} characters, without spaces`,
      2,
    );
  }
  return token;
}

/** The operator token of `serve`, generated into the data dir when none is given. */
export async function serveOperatorToken(
  file: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  dataDir: string,
): Promise<OperatorToken> {
  if (file !== undefined) return { token: await readOperatorToken(file), path: file, generated: false };
  const fromEnv = env['PATCHCAST_OPERATOR_TOKEN'];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { token: checked(fromEnv.trim(), 'PATCHCAST_OPERATOR_TOKEN'), path: null, generated: false };
  }
  const path = join(dataDir, OPERATOR_TOKEN_FILE);
  const existing = await readFile(path, 'utf8').catch(() => null);
  if (existing !== null) return { token: checked(existing.trim(), path), path, generated: false };
  const token = randomBytes(32).toString('base64url');
  await mkdir(dataDir, { recursive: true });
  await writeFileAtomic(path, `${token}\n`, { mode: 0o600 });
  return { token, path, generated: true };
}

/** The token a client command uses: `--operator-token-file`, else `PATCHCAST_OPERATOR_TOKEN`, else none. */
export async function clientOperatorToken(
  file: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | null> {
  if (file !== undefined) return readOperatorToken(file);
  const fromEnv = env['PATCHCAST_OPERATOR_TOKEN'];
  return fromEnv ? fromEnv.trim() : null;
}
