/**
 * `patchcast`: the command line. `bin/patchcast.mjs` calls {@link main} with argv and exits with its
 * result: 0 done, 1 refused or failed (the refusal code first on stderr), 2 a usage error (the usage
 * follows on stderr).
 */
import { RelayError } from '../../publisher/errors.ts';
import { HELP as COMMAND_HELP, OPTIONS, history, keygen, roomCreate, status } from './commands.ts';
import { CliError, parseCommandArgs, processIo, type Io, type OptionSpecs, type ParsedArgs } from './io.ts';
import { KEYS_HELP, KEYS_OPTIONS, keysSet, keysShow } from './keys.ts';
import { PLAY_HELP, PLAY_OPTIONS, play } from './play.ts';
import { PUBLISH_HELP, PUBLISH_OPTIONS, publish, rollback } from './publish.ts';
import { SERVE_HELP, SERVE_OPTIONS, serve } from './serve.ts';

/** A command: what it runs, its help text, and the flags it takes. */
export interface Command {
  readonly run: (args: ParsedArgs, io: Io) => Promise<number>;
  readonly help: string;
  readonly options: OptionSpecs;
}

const HELP = `patchcast — signed hot patches for running web games

Usage: patchcast <command> [options]

  serve        run the relay (HTTP, WebSocket, PeerJS, TCP) with the demo room
  keygen       write a new room key file (mode 0600)
  room create  create a room on a relay with a key
  keys show    a room's key set: version, threshold, keys
  keys set     sign and send a room's next key set (add or remove keys, threshold)
  publish      sign and publish slots: scripts, textures, configs (the demo's script, texture, colour)
  status       the roster of a room
  history      every release of a room
  rollback     publish a new release pointing at an older one's blobs
  play         the headless client: follow a room over TCP, cache and ack

patchcast <command> --help for its options. Docs: docs/cli.md
`;

/** Every command by name (`room create`, `keys set` are two words). */
export const COMMANDS: Readonly<Record<string, Command>> = {
  serve: { run: serve, help: SERVE_HELP, options: SERVE_OPTIONS },
  keygen: { run: keygen, help: COMMAND_HELP.keygen, options: OPTIONS.keygen },
  'room create': { run: roomCreate, help: COMMAND_HELP.roomCreate, options: OPTIONS.roomCreate },
  'keys show': { run: keysShow, help: KEYS_HELP.show, options: KEYS_OPTIONS.show },
  'keys set': { run: keysSet, help: KEYS_HELP.set, options: KEYS_OPTIONS.set },
  publish: { run: publish, help: PUBLISH_HELP.publish, options: PUBLISH_OPTIONS.publish },
  status: { run: status, help: COMMAND_HELP.status, options: OPTIONS.status },
  history: { run: history, help: COMMAND_HELP.history, options: OPTIONS.history },
  rollback: { run: rollback, help: PUBLISH_HELP.rollback, options: PUBLISH_OPTIONS.rollback },
  play: { run: play, help: PLAY_HELP, options: PLAY_OPTIONS },
};

/** The words naming the command (`publish`, `room create`) and the arguments after them. */
function commandOf(argv: readonly string[]): { name: string | undefined; rest: readonly string[] } {
  const [first, second] = argv;
  if ((first === 'room' || first === 'keys') && second !== undefined && !second.startsWith('-')) {
    return { name: `${first} ${second}`, rest: argv.slice(2) };
  }
  return { name: first, rest: argv.slice(1) };
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const { name, rest } = commandOf(argv);
  if (name === undefined || name.startsWith('-') || name === 'help') {
    const asked = name === 'help' || name === '--help' || name === '-h';
    if (asked) io.out(HELP);
    else io.err(name === undefined ? HELP : `unknown option: ${name}\n\n${HELP}`);
    return asked ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`unknown command: ${name}\n\n${HELP}`);
    return 2;
  }
  let args: ParsedArgs;
  try {
    args = parseCommandArgs(rest, command.options);
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${command.help}`);
    return 2;
  }
  if (args.bools.has('help')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(error.code ? `${error.code}: ${error.message}` : error.message);
      return error.exitCode;
    }
    if (error instanceof RelayError) {
      const hint = error.untrusted
        ? '. If another key of this room signed it, pass that key with --trust <public key>.'
        : '';
      const missing = error.missing.length ? ` (${error.missing.join(', ')})` : '';
      io.err(`${error.code}: ${error.message}${missing}${hint}`);
      return 1;
    }
    io.err(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}
