import { describe, expect, it } from 'vitest';
import { CliError, flag, parseCommandArgs, type OptionSpecs } from './io.ts';

const OPTIONS: OptionSpecs = {
  key: { type: 'string', multiple: true },
  room: { type: 'string' },
  json: { type: 'boolean' },
};

describe('parseCommandArgs', () => {
  it('takes a value that starts with a dash (a base64url key can) for a string flag', () => {
    const args = parseCommandArgs(['--key', '-yyEFS7jo', '--room', '--odd-room', '--json'], OPTIONS);
    expect(args.values.get('key')).toEqual(['-yyEFS7jo']);
    expect(flag(args, 'room')).toBe('--odd-room');
    expect(args.bools.has('json')).toBe(true);
  });

  it('still refuses a string flag followed by another of its flags, and unknown flags', () => {
    expect(() => parseCommandArgs(['--room', '--json'], OPTIONS)).toThrow(CliError);
    expect(() => parseCommandArgs(['--room', '-h'], OPTIONS)).toThrow(CliError);
    expect(() => parseCommandArgs(['--bogus', 'x'], OPTIONS)).toThrow(CliError);
    expect(() => parseCommandArgs(['-yyEF'], OPTIONS)).toThrow(CliError);
  });
});
