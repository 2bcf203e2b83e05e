/**
 * `patchcast`: the command line. `bin/patchcast.mjs` calls {@link main} with argv and exits with its
 * result.
 */
import { CliError, parseArgv, processIo, type Io, type ParsedArgs } from './io.ts';
import { HELP as COMMAND_HELP, history, keygen, publish, rollback, roomCreate, status } from './commands.ts';
import { PLAY_HELP, play } from './play.ts';
import { SERVE_HELP, serve } from './serve.ts';

type Command = (args: ParsedArgs, io: Io) => Promise<number>;

const HELP = `patchcast — signed hot patches for running web games

Usage: patchcast <command> [options]

  serve        run the relay (HTTP, WebSocket, PeerJS, TCP) with the demo room
  keygen       write a new room key file (mode 0600)
  room create  create a room on a relay with a key
  publish      sign and publish a script, texture or colour
  status       the roster of a room
  history      every release of a room
  rollback     publish a new release pointing at an older one's blobs
  play         the headless client: follow a room over TCP, cache and ack

patchcast <command> --help for its options. Docs: docs/cli.md
`;

const commands: Record<string, { run: Command; help: string }> = {
  serve: { run: serve, help: SERVE_HELP },
  keygen: { run: keygen, help: COMMAND_HELP.keygen },
  'room create': { run: roomCreate, help: COMMAND_HELP.roomCreate },
  publish: { run: publish, help: COMMAND_HELP.publish },
  status: { run: status, help: COMMAND_HELP.status },
  history: { run: history, help: COMMAND_HELP.history },
  rollback: { run: rollback, help: COMMAND_HELP.rollback },
  play: { run: play, help: PLAY_HELP },
};

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const parsed = parseArgv(argv);
  if (typeof parsed === 'string') {
    io.err(parsed);
    return 2;
  }
  let name = parsed.positionals.shift();
  if (name === 'room') {
    const sub = parsed.positionals.shift();
    name = sub === undefined ? 'room' : `room ${sub}`;
  }
  if (name === undefined || name === 'help') {
    io.out(HELP);
    return name === undefined && !parsed.bools.has('help') ? 2 : 0;
  }
  if (name === 'room') {
    io.err('usage: patchcast room create --room R --key key.json [--server URL]');
    return 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`unknown command: ${name}\n\n${HELP}`);
    return 2;
  }
  if (parsed.bools.has('help')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(parsed, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(error.code ? `${error.code}: ${error.message}` : error.message);
      return error.exitCode;
    }
    io.err(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}
