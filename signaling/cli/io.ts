/**
 * The CLI's plumbing: argument parsing (`--name value`, `--name=value`, boolean `--flag`) and the
 * output streams, passed in so that tests run commands in-process and read what they print.
 */

/** Where a command writes, and the environment it reads. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The process's own streams and environment. */
export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

/** Parsed command-line arguments. */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly values: Map<string, string[]>;
  readonly bools: Set<string>;
}

/** Flags that take no value. */
export const BOOLEAN_FLAGS: ReadonlySet<string> = new Set([
  'help',
  'json',
  'no-demo',
  'force',
  'quiet',
  'once',
  'p2p',
]);

/** Parses argv; returns an error message for a flag missing its value. */
export function parseArgv(argv: readonly string[]): ParsedArgs | string {
  const out: ParsedArgs = { positionals: [], values: new Map(), bools: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      out.bools.add('help');
      continue;
    }
    if (!arg.startsWith('--')) {
      out.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (BOOLEAN_FLAGS.has(name) && eq < 0) {
      out.bools.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined) return `--${name} needs a value`;
      i++;
    }
    out.values.set(name, [...(out.values.get(name) ?? []), value]);
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
