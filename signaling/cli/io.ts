/**
 * The CLI's plumbing: argument parsing with node's `util.parseArgs` in strict mode, against the option
 * spec of each command (an unknown flag, a flag missing its value or a stray argument is a usage
 * error, exit code 2), and the output streams, passed in so that tests run commands in-process and
 * read what they print.
 */
import { parseArgs } from 'node:util';

/** Where a command writes, the environment it reads, and its clock. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The time releases are dated by (default: the system clock). */
  readonly now?: () => Date;
}

/** The process's own streams and environment. */
export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

/** One flag of a command: a string value (repeatable with `multiple`) or a boolean switch. */
export type OptionSpec =
  | { readonly type: 'string'; readonly multiple?: boolean; readonly short?: string }
  | { readonly type: 'boolean'; readonly short?: string };

/** The flags a command takes, by long name (without `--`). `--help`/`-h` is added to every command. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Parsed command-line arguments. */
export interface ParsedArgs {
  readonly positionals: string[];
  /** String flags: every value, in order. */
  readonly values: Map<string, string[]>;
  /** Boolean flags that were given. */
  readonly bools: Set<string>;
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies OptionSpecs;

/**
 * Parses a command's arguments (after its name) against its options, strictly: throws a
 * {@link CliError} with exit code 2 for an unknown flag, a missing value or a positional argument.
 */
export function parseCommandArgs(argv: readonly string[], options: OptionSpecs): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: joinDashValues(argv, options),
      options: { ...options, ...HELP_OPTION },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), 2);
  }
  const out: ParsedArgs = { positionals: [...parsed.positionals], values: new Map(), bools: new Set() };
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === true) out.bools.add(name);
    else if (typeof value === 'string') out.values.set(name, [value]);
    else if (Array.isArray(value)) {
      out.values.set(
        name,
        value.filter((x): x is string => typeof x === 'string'),
      );
    }
  }
  return out;
}

/**
 * `--key -yyEF…`: a base64url public key (or any value) may start with a dash, which `parseArgs` takes
 * for a flag ("argument is ambiguous"). A string flag followed by something that is not one of the
 * command's flags gets it as its value (`--key=-yyEF…`).
 */
function joinDashValues(argv: readonly string[], options: OptionSpecs): string[] {
  const specs: OptionSpecs = { ...options, ...HELP_OPTION };
  const shorts = new Set(Object.values(specs).flatMap((spec) => (spec.short ? [`-${spec.short}`] : [])));
  const isFlag = (token: string) =>
    token === '--' || shorts.has(token) || (token.startsWith('--') && token.slice(2).split('=')[0]! in specs);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const next = argv[i + 1];
    const name = token.startsWith('--') && !token.includes('=') ? token.slice(2) : null;
    if (name && specs[name]?.type === 'string' && next?.startsWith('-') && !isFlag(next)) {
      out.push(`${token}=${next}`);
      i++;
    } else out.push(token);
  }
  return out;
}

/** The last value of a flag. */
export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.values.get(name)?.at(-1);
}

/** Every value of a repeatable flag. */
export function flags(args: ParsedArgs, name: string): string[] {
  return args.values.get(name) ?? [];
}

/** An integer flag; NaN when it is not an integer. */
export function intFlag(args: ParsedArgs, name: string): number | undefined {
  const raw = flag(args, name);
  if (raw === undefined) return undefined;
  return /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
}

/** A command failed in a way the user should read; `code` is the refusal code, if any. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly code?: string,
  ) {
    super(message);
  }
}
