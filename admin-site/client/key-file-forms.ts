/**
 * The key files of the "Room & keys" page: download an encrypted backup of the room's key, and
 * import a key file or a backup (decrypted in this browser) for a room.
 */
import { toKeyFile } from '../../protocol/keys.ts';
import {
  decryptBackup,
  encryptKeyFile,
  KeyImportError,
  MIN_PASSPHRASE_LENGTH,
  parseKeyText,
  type ParsedKeyText,
} from '../lib/backup.ts';
import { byId, download, h, say } from '../lib/dom.ts';
import { importKeyFile, markBackedUp, signingKeyOf, type StoredKey } from '../lib/keystore.ts';
import { isRoomName } from '../lib/settings.ts';

/** A key file larger than this is refused before it is read. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** What the forms need from the page around them. */
export interface KeyFilesPage {
  /** The room being worked on, if one is chosen. */
  room(): string | null;
  /** This browser's key for that room, if any. */
  key(): StoredKey | null;
  /** The stored key changed (a backup was marked): show it again. */
  keyChanged(): Promise<void>;
  /** A key was imported for `room`: make it the room being worked on and show everything again. */
  roomChosen(room: string): Promise<void>;
}

/** What the page tells the forms. */
export interface KeyFileForms {
  /** The page now works on `room`: the import form suggests it. */
  roomShown(room: string): void;
  /** The page shows `key` (or none): a backup needs one. */
  keyShown(key: StoredKey | null): void;
}

/** Wires the backup and import forms of the page. */
export function wireKeyFileForms(page: KeyFilesPage): KeyFileForms {
  const backupForm = byId('backup-form', HTMLFormElement);
  const backupPass = byId('backup-pass', HTMLInputElement);
  const backupPass2 = byId('backup-pass2', HTMLInputElement);
  const backupButton = byId('backup-button', HTMLButtonElement);
  const backupStatus = byId('backup-status', HTMLElement);
  const importForm = byId('import-form', HTMLFormElement);
  const importFile = byId('import-file', HTMLInputElement);
  const importPassWrap = byId('import-pass-wrap', HTMLElement);
  const importPass = byId('import-pass', HTMLInputElement);
  const importRoom = byId('import-room', HTMLInputElement);
  const importButton = byId('import-button', HTMLButtonElement);
  const importStatus = byId('import-status', HTMLElement);
  let picked: ParsedKeyText | null = null;

  backupForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      const room = page.room();
      const key = page.key();
      if (!room || !key) return;
      if (backupPass.value.length < MIN_PASSPHRASE_LENGTH) {
        say(backupStatus, 'error', `The passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters.`);
        return;
      }
      if (backupPass.value !== backupPass2.value) {
        say(backupStatus, 'error', 'The two passphrases differ.');
        return;
      }
      backupButton.disabled = true;
      say(backupStatus, 'info', 'Encrypting…');
      try {
        const file = await toKeyFile(signingKeyOf(key), room);
        const backup = await encryptKeyFile(file, backupPass.value);
        download(`patchcast-${room}-${key.keyId}.backup.json`, `${JSON.stringify(backup, null, 2)}\n`);
        await markBackedUp(room);
        backupPass.value = '';
        backupPass2.value = '';
        say(backupStatus, 'ok', 'Backup downloaded. Keep the file and the passphrase apart.');
        await page.keyChanged();
      } catch (error) {
        say(
          backupStatus,
          'error',
          `Could not write the backup: ${error instanceof Error ? error.message : String(error)}`,
        );
      } finally {
        backupButton.disabled = !key;
      }
    })();
  });

  importFile.addEventListener('change', () => {
    void (async () => {
      picked = null;
      importPassWrap.hidden = true;
      const file = importFile.files?.[0];
      if (!file) return;
      try {
        if (file.size > MAX_KEY_FILE_BYTES)
          throw new KeyImportError('BAD_FILE', 'This file is far too large to be a key file.');
        picked = parseKeyText(await file.text());
        const fileRoom = picked.kind === 'key-file' ? picked.file.room : picked.backup.room;
        if (fileRoom) importRoom.value = fileRoom;
        else importRoom.value = page.room() ?? importRoom.value;
        importPassWrap.hidden = picked.kind !== 'backup';
        importPass.required = picked.kind === 'backup';
        const id = picked.kind === 'key-file' ? picked.file.keyId : picked.backup.keyId;
        say(
          importStatus,
          'info',
          picked.kind === 'backup' ? 'Encrypted backup of key ' : 'Plain key file of key ',
          h('code', {}, id),
          picked.kind === 'backup' ? '. Enter its passphrase.' : '.',
        );
      } catch (error) {
        say(importStatus, 'error', error instanceof Error ? error.message : String(error));
      }
    })();
  });

  importForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      if (!picked) {
        say(importStatus, 'error', 'Choose a key file or backup first.');
        return;
      }
      const target = importRoom.value.trim();
      if (!isRoomName(target)) {
        say(importStatus, 'error', 'Enter a valid room name for this key.');
        return;
      }
      importButton.disabled = true;
      say(importStatus, 'info', picked.kind === 'backup' ? 'Decrypting…' : 'Importing…');
      try {
        const file =
          picked.kind === 'backup' ? await decryptBackup(picked.backup, importPass.value) : picked.file;
        let done = await importKeyFile(target, file);
        if (done.kind === 'conflict') {
          if (!confirm(`Room “${target}” already has another key in this browser. Replace it?`)) return;
          done = await importKeyFile(target, file, { replace: true });
        }
        if (done.kind === 'conflict') return;
        importPass.value = '';
        say(
          importStatus,
          'ok',
          'Key ',
          h('code', {}, done.key.keyId),
          done.kind === 'saved'
            ? ` imported for room “${target}”.`
            : ` is already this browser’s key for room “${target}”.`,
        );
        await page.roomChosen(target);
      } catch (error) {
        say(importStatus, 'error', error instanceof Error ? error.message : String(error));
      } finally {
        importButton.disabled = false;
      }
    })();
  });

  return {
    roomShown(room) {
      importRoom.value = room;
    },
    keyShown(key) {
      backupButton.disabled = !key;
    },
  };
}
