import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { fromKeyFile, toKeyFile } from '../../protocol/keys.ts';
import {
  BACKUP_FORMAT,
  BACKUP_ITERATIONS,
  decryptBackup,
  encryptKeyFile,
  KeyImportError,
  parseKeyText,
  type Backup,
} from './backup.ts';

const PASS = 'correct horse battery staple';

async function keyFile() {
  return toKeyFile(await generateSigningKey(true), 'demo');
}

describe('encrypted key backup', () => {
  it('round-trips a key file, with 600,000 PBKDF2 rounds and fresh salt and IV', async () => {
    const file = await keyFile();
    const backup = await encryptKeyFile(file, PASS);
    expect(backup.format).toBe(BACKUP_FORMAT);
    expect(backup.kdf.iterations).toBe(BACKUP_ITERATIONS);
    expect(backup.kdf.iterations).toBeGreaterThanOrEqual(600_000);
    expect(backup.keyId).toBe(file.keyId);
    expect(JSON.stringify(backup)).not.toContain(file.secretKey);

    const text = JSON.stringify(backup);
    const parsed = parseKeyText(text);
    expect(parsed.kind).toBe('backup');
    if (parsed.kind !== 'backup') return;
    const back = await decryptBackup(parsed.backup, PASS);
    expect(back).toEqual(file);
    const key = await fromKeyFile(back);
    expect(key.keyId).toBe(file.keyId);

    const again = await encryptKeyFile(file, PASS);
    expect(again.kdf.salt).not.toBe(backup.kdf.salt);
    expect(again.cipher.iv).not.toBe(backup.cipher.iv);
  });

  it('refuses a wrong passphrase', async () => {
    const backup = await encryptKeyFile(await keyFile(), PASS);
    await expect(decryptBackup(backup, 'not the passphrase')).rejects.toMatchObject({
      reason: 'WRONG_PASSPHRASE',
    });
  });

  it('refuses a backup whose clear-text label was edited (bound as AES-GCM additional data)', async () => {
    const backup = await encryptKeyFile(await keyFile(), PASS);
    const edited: Backup = { ...backup, room: 'other-room' };
    await expect(decryptBackup(edited, PASS)).rejects.toBeInstanceOf(KeyImportError);
  });

  it('refuses short passphrases when writing', async () => {
    await expect(encryptKeyFile(await keyFile(), 'short')).rejects.toThrow(/at least 10/);
  });

  it('refuses backups that declare too few rounds (weakened on purpose)', async () => {
    const backup = await encryptKeyFile(await keyFile(), PASS);
    const weak = { ...backup, kdf: { ...backup.kdf, iterations: 1000 } };
    expect(() => parseKeyText(JSON.stringify(weak))).toThrow(/too few PBKDF2 iterations/);
  });
});

describe('parseKeyText', () => {
  it('reads the CLI key file format', async () => {
    const file = await keyFile();
    const parsed = parseKeyText(JSON.stringify(file));
    expect(parsed).toEqual({ kind: 'key-file', file });
  });

  it('names what is wrong with other files', () => {
    expect(() => parseKeyText('not json')).toThrow(/not JSON/);
    expect(() => parseKeyText('{"format":"something-else"}')).toThrow(/neither a Patchcast key file/);
    expect(() => parseKeyText('{"format":"patchcast-key/1","alg":"Ed25519"}')).toThrow(/damaged/);
  });
});
