/**
 * The hub limits `patchcast serve` takes from its flags: the defaults, each flag landing in the option
 * the hub reads, and the refusals (exit code 2) of values that make no sense.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_HUB_OPTIONS, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_WINDOW_BYTES } from '../hub/options.ts';
import { CliError, parseCommandArgs } from './io.ts';
import { SERVE_OPTIONS, serveHubLimits } from './serve.ts';

const limitsOf = (...argv: string[]) => serveHubLimits(parseCommandArgs(argv, SERVE_OPTIONS));

describe('serve: the write window and send queue flags', () => {
  it('defaults to a 1 MiB window and a 64 MiB queue', () => {
    const { outbox } = limitsOf();
    expect(outbox.windowBytes).toBe(DEFAULT_WINDOW_BYTES);
    expect(DEFAULT_WINDOW_BYTES).toBe(1024 * 1024);
    expect(outbox.maxQueuedBytes).toBe(DEFAULT_MAX_QUEUED_BYTES);
    expect(outbox.dropAfterMs).toBe(DEFAULT_HUB_OPTIONS.outbox.dropAfterMs);
  });

  it('takes --write-window-bytes and --max-send-queue-bytes', () => {
    const { outbox, scheduler } = limitsOf(
      '--write-window-bytes',
      '524288',
      '--max-send-queue-bytes=8388608',
      '--write-slots',
      '16',
    );
    expect(outbox).toMatchObject({ windowBytes: 524_288, maxQueuedBytes: 8_388_608 });
    expect(scheduler?.maxActive).toBe(16);
  });

  it.each([
    [['--write-window-bytes', '0'], /--write-window-bytes must be a positive integer/],
    [['--write-window-bytes', 'big'], /--write-window-bytes must be a positive integer/],
    [['--max-send-queue-bytes', '0.5'], /--max-send-queue-bytes must be a positive integer/],
    [
      ['--write-window-bytes', '4194304', '--max-send-queue-bytes', '1048576'],
      /--max-send-queue-bytes must be at least --write-window-bytes/,
    ],
  ])('refuses %j', (argv, message) => {
    let thrown: unknown;
    try {
      limitsOf(...argv);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).message).toMatch(message);
    expect((thrown as CliError).exitCode).toBe(2);
  });
});
