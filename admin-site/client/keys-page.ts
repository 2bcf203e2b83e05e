/**
 * The "Room & keys" page: choose the room and the relay, generate or import the room's key, download
 * an encrypted backup, and share the player link.
 */
import QRCode from 'qrcode';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { toKeyFile } from '../../protocol/keys.ts';
import { changeRoomKeys } from '../../publisher/key-sets.ts';
import {
  decryptBackup,
  encryptKeyFile,
  KeyImportError,
  MIN_PASSPHRASE_LENGTH,
  parseKeyText,
  type ParsedKeyText,
} from '../lib/backup.ts';
import { basePath } from '../lib/context.ts';
import { demoKeyFromAddress } from '../lib/demo-key.ts';
import { showContextBar } from '../lib/context-bar.ts';
import { byId, download, h, replaceChildren, say } from '../lib/dom.ts';
import {
  deleteKey,
  importKeyFile,
  listKeys,
  loadKey,
  markBackedUp,
  saveKey,
  signingKeyOf,
  type StoredKey,
} from '../lib/keystore.ts';
import { RelayApi } from '../../publisher/relay-api.ts';
import { describeError } from '../lib/refusals.ts';
import {
  getOperatorToken,
  getRelayUrl,
  getRoom,
  isRoomName,
  playerLink,
  setOperatorToken,
  setRelayUrl,
  setRoom,
} from '../lib/settings.ts';

const roomForm = byId('room-form', HTMLFormElement);
const roomInput = byId('room-input', HTMLInputElement);
const roomList = byId('room-list', HTMLDataListElement);
const roomStatus = byId('room-status', HTMLElement);
const relayForm = byId('relay-form', HTMLFormElement);
const relayInput = byId('relay-input', HTMLInputElement);
const relayStatus = byId('relay-status', HTMLElement);
const relayTest = byId('relay-test', HTMLButtonElement);
const keyInfo = byId('key-info', HTMLElement);
const generateButton = byId('generate', HTMLButtonElement);
const deleteButton = byId('delete-key', HTMLButtonElement);
const keyStatus = byId('key-status', HTMLElement);
const rotateButton = byId('rotate', HTMLButtonElement);
const rotateStatus = byId('rotate-status', HTMLElement);
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
const linkArea = byId('link-area', HTMLElement);

/** Read in {@link start}, after a demo key link (if any) has chosen the room. */
let room: string | null = null;
let key: StoredKey | null = null;
let picked: ParsedKeyText | null = null;

/** Updates the shared context bar after a change. */
function refreshContextBar(): void {
  showContextBar({ relay: getRelayUrl(), room, key });
}

async function showRoomOnRelay(): Promise<void> {
  if (!room) return;
  try {
    const latest = await new RelayApi(getRelayUrl()).latest(room);
    if (!latest) {
      say(
        roomStatus,
        'info',
        `Room “${room}” has no release on the relay yet. Your first publish creates it with this browser’s key.`,
      );
    } else {
      const r = latest.release;
      const mine = key && r.keyId === key.keyId;
      say(
        roomStatus,
        mine || !key ? 'ok' : 'warn',
        `Room “${room}” is live: release ${r.version} (seq ${r.seq}), signed by key `,
        h('code', {}, r.keyId),
        mine
          ? ' — this browser’s key.'
          : key
            ? ' — not this browser’s key; the relay may refuse your releases.'
            : '.',
      );
    }
  } catch (error) {
    const d = describeError(error);
    say(roomStatus, 'warn', d.words, h('span', { class: 'detail' }, d.detail));
  }
}

async function showKey(): Promise<void> {
  key = room ? await loadKey(room) : null;
  generateButton.disabled = !room;
  generateButton.textContent = key ? 'Replace with a new key' : 'Generate a new key';
  deleteButton.disabled = !key;
  backupButton.disabled = !key;
  rotateButton.disabled = !key;
  if (!room) {
    replaceChildren(keyInfo, h('p', { class: 'empty' }, 'Choose a room first.'));
  } else if (!key) {
    replaceChildren(
      keyInfo,
      h(
        'p',
        { class: 'warn-text', 'data-testid': 'no-key' },
        `No key for room “${room}” in this browser. Generate one (new room) or import one.`,
      ),
    );
  } else {
    replaceChildren(
      keyInfo,
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Key id'),
        h('dd', {}, h('code', { 'data-testid': 'key-id' }, key.keyId)),
        h('dt', {}, 'Public key'),
        h('dd', {}, h('code', { 'data-testid': 'public-key' }, key.publicKey)),
        h('dt', {}, 'Stored'),
        h(
          'dd',
          {},
          `${key.source === 'generated' ? 'generated' : 'imported'} ${new Date(key.createdAt).toLocaleString()}`,
        ),
        h('dt', {}, 'Backup'),
        h(
          'dd',
          {},
          key.backedUpAt
            ? `downloaded ${new Date(key.backedUpAt).toLocaleString()}`
            : h('span', { class: 'warn-text' }, 'none yet — download one below'),
        ),
      ),
    );
  }
  await showLink();
  refreshContextBar();
}

async function showLink(): Promise<void> {
  if (!room || !key) {
    replaceChildren(linkArea, h('p', { class: 'empty' }, 'Generate or import a key to get the player link.'));
    return;
  }
  const link = playerLink({
    origin: location.origin,
    base: basePath(),
    room,
    publicKey: key.publicKey,
    relay: getRelayUrl(),
  });
  const input = h('input', {
    type: 'text',
    readonly: true,
    value: link,
    'aria-label': 'Player link',
    id: 'player-link',
  });
  input.value = link;
  const copy = h('button', { type: 'button', id: 'copy-link' }, 'Copy');
  const copied = h('span', { role: 'status', class: 'hint' });
  copy.addEventListener('click', () => {
    void (async () => {
      try {
        await navigator.clipboard.writeText(link);
        copied.textContent = 'Copied.';
      } catch {
        input.select();
        copied.textContent = 'Select the link and copy it (Ctrl+C).';
      }
    })();
  });
  const canvas = h('canvas', { class: 'qr', role: 'img', 'aria-label': 'QR code of the player link' });
  replaceChildren(
    linkArea,
    h(
      'div',
      { class: 'link-box' },
      input,
      copy,
      h('a', { class: 'button', href: link, target: '_blank', rel: 'noopener' }, 'Open'),
    ),
    copied,
    canvas,
  );
  await QRCode.toCanvas(canvas, link, { width: 168, margin: 1, errorCorrectionLevel: 'M' });
}

/** Fills the room picker: rooms this browser has keys for, then rooms the relay knows. */
async function listRooms(): Promise<void> {
  const keys = await listKeys();
  const options = new Map(keys.map((k) => [k.room, 'key in this browser']));
  try {
    for (const r of await new RelayApi(getRelayUrl()).rooms()) {
      if (!options.has(r.room))
        options.set(r.room, r.version ? `on the relay: ${r.version}` : 'on the relay');
    }
  } catch {
    // The relay is optional here: the picker still lists the rooms with keys.
  }
  replaceChildren(roomList, ...[...options].map(([room, label]) => h('option', { value: room, label })));
}

roomForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = roomInput.value.trim();
  if (!isRoomName(name)) {
    say(
      roomStatus,
      'error',
      'Room names use lower-case letters, digits, - and _ (up to 64, starting with a letter or digit).',
    );
    return;
  }
  setRoom(name);
  room = name;
  importRoom.value = name;
  say(roomStatus, 'info', `Working on room “${name}”.`);
  void showKey().then(showRoomOnRelay);
});

relayForm.addEventListener('submit', (event) => {
  event.preventDefault();
  try {
    const url = setRelayUrl(relayInput.value);
    relayInput.value = url === location.origin ? '' : url;
    say(relayStatus, 'ok', 'Relay set to ', h('code', {}, url), '.');
    void showLink().then(showRoomOnRelay);
    refreshContextBar();
  } catch (error) {
    say(relayStatus, 'error', error instanceof Error ? error.message : String(error));
  }
});

const operatorForm = byId('operator-form', HTMLFormElement);
const operatorInput = byId('operator-input', HTMLInputElement);
const operatorStatus = byId('operator-status', HTMLElement);
operatorInput.value = getOperatorToken() ?? '';
operatorForm.addEventListener('submit', (event) => {
  event.preventDefault();
  try {
    setOperatorToken(operatorInput.value);
    say(
      operatorStatus,
      'ok',
      getOperatorToken() ? 'Operator token saved in this browser.' : 'Operator token forgotten.',
    );
  } catch (error) {
    say(operatorStatus, 'error', error instanceof Error ? error.message : String(error));
  }
});

relayTest.addEventListener('click', () => {
  const relay = getRelayUrl();
  say(relayStatus, 'info', 'Asking ', h('code', {}, relay), '…');
  new RelayApi(relay).health().then(
    () => say(relayStatus, 'ok', 'The relay at ', h('code', {}, relay), ' answers.'),
    (error: unknown) => {
      const d = describeError(error);
      say(relayStatus, 'error', d.words, h('span', { class: 'detail' }, d.detail));
    },
  );
});

generateButton.addEventListener('click', () => {
  void (async () => {
    if (!room) return;
    if (
      key &&
      !confirm(
        `Replace the key of room “${room}” in this browser? Without a backup of the old key, you can no longer publish to a room it created.`,
      )
    ) {
      return;
    }
    const signing = await generateSigningKey(true);
    await saveKey(room, signing, 'generated');
    say(keyStatus, 'ok', 'New key generated and stored in this browser. Download an encrypted backup next.');
    await showKey();
    await listRooms();
  })().catch((error: unknown) => say(keyStatus, 'error', `Could not generate a key: ${String(error)}`));
});

rotateButton.addEventListener('click', () => {
  void (async () => {
    if (!room || !key) return;
    const current = key;
    const relay = getRelayUrl();
    const trusted = await new RelayApi(relay).keys(room);
    if (!trusted) {
      say(
        rotateStatus,
        'error',
        `Room “${room}” does not exist on the relay yet: publish a first release instead.`,
      );
      return;
    }
    if (!trusted.keys.some((k) => k.keyId === current.keyId)) {
      say(
        rotateStatus,
        'error',
        'The relay does not trust this browser’s key for this room, so it cannot sign a rotation.',
      );
      return;
    }
    if (
      !confirm(
        `Replace key ${current.keyId} of room “${room}” by a new one? The room stops trusting the old key (its next key set removes it), and this browser signs with the new key.`,
      )
    ) {
      return;
    }
    rotateButton.disabled = true;
    say(rotateStatus, 'info', 'Signing the rotation in this browser…');
    try {
      const next = await generateSigningKey(true);
      const answer = await changeRoomKeys(new RelayApi(relay, undefined, getOperatorToken()), {
        room,
        signers: [signingKeyOf(current), next],
        trusted: current.previousKeys ?? [],
        change: { add: [next.publicKey], remove: [current.keyId] },
      });
      // Keep the key we rotated from: releases it signed are still ours to build on and roll back to
      // (after a theft, delete this browser's keys and import the new one instead: docs/security.md).
      await saveKey(room, next, 'generated', undefined, undefined, [
        ...(current.previousKeys ?? []),
        current.publicKey,
      ]);
      say(
        rotateStatus,
        'ok',
        `Rotated: key set version ${answer.version}; the room trusts `,
        String(answer.keys.length),
        answer.keys.length === 1 ? ' key' : ' keys',
        ' (the old one removed); this browser signs with ',
        h('code', { 'data-testid': 'rotated-key' }, next.keyId),
        '. Download a backup of the new key.',
      );
      await showKey();
    } catch (error) {
      const d = describeError(error);
      say(rotateStatus, 'error', d.words, h('span', { class: 'detail' }, `${d.code}: ${d.detail}`));
    } finally {
      rotateButton.disabled = !key;
    }
  })();
});

deleteButton.addEventListener('click', () => {
  void (async () => {
    if (!room || !key) return;
    if (!confirm(`Forget the key of room “${room}” in this browser? Only a backup can bring it back.`))
      return;
    await deleteKey(room);
    say(keyStatus, 'info', 'Key removed from this browser.');
    await showKey();
    await listRooms();
  })();
});

backupForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void (async () => {
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
      await showKey();
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
      if (file.size > 64 * 1024)
        throw new KeyImportError('BAD_FILE', 'This file is far too large to be a key file.');
      picked = parseKeyText(await file.text());
      const fileRoom = picked.kind === 'key-file' ? picked.file.room : picked.backup.room;
      if (fileRoom) importRoom.value = fileRoom;
      else if (room) importRoom.value = room;
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
      setRoom(target);
      room = target;
      roomInput.value = target;
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
      await showKey();
      await listRooms();
      await showRoomOnRelay();
    } catch (error) {
      say(importStatus, 'error', error instanceof Error ? error.message : String(error));
    } finally {
      importButton.disabled = false;
    }
  })();
});

async function start(): Promise<void> {
  await demoKeyFromAddress();
  room = getRoom();
  const relay = getRelayUrl();
  relayInput.value = relay === location.origin ? '' : relay;
  if (room) {
    roomInput.value = room;
    importRoom.value = room;
  }
  await listRooms();
  await showKey();
  await showRoomOnRelay();
}
void start();
