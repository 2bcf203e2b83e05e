/**
 * The "Room & keys" page: choose the room and the relay, generate or import the room's key, download
 * an encrypted backup, and share the player link.
 */
import { generateSigningKey } from '../../protocol/crypto.ts';
import { changeRoomKeys } from '../../publisher/key-sets.ts';
import { demoKeyFromAddress } from '../lib/demo-key.ts';
import { showContextBar } from '../lib/context-bar.ts';
import { byId, h, replaceChildren, say } from '../lib/dom.ts';
import { deleteKey, listKeys, loadKey, saveKey, signingKeyOf, type StoredKey } from '../lib/keystore.ts';
import { RelayApi } from '../../publisher/relay-api.ts';
import { wireKeyFileForms } from './key-file-forms.ts';
import { showPlayerLink } from './player-link.ts';
import { describeError } from '../lib/refusals.ts';
import {
  getOperatorToken,
  getRelayUrl,
  getRoom,
  isRoomName,
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
const linkArea = byId('link-area', HTMLElement);

/** Read in {@link start}, after a demo key link (if any) has chosen the room. */
let room: string | null = null;
let key: StoredKey | null = null;

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
  forms.keyShown(key);
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
  await showPlayerLink(linkArea, room, key);
}

const forms = wireKeyFileForms({
  room: () => room,
  key: () => key,
  keyChanged: showKey,
  async roomChosen(name) {
    setRoom(name);
    room = name;
    roomInput.value = name;
    await showKey();
    await listRooms();
    await showRoomOnRelay();
  },
});

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
  forms.roomShown(name);
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

async function start(): Promise<void> {
  await demoKeyFromAddress();
  room = getRoom();
  const relay = getRelayUrl();
  relayInput.value = relay === location.origin ? '' : relay;
  if (room) {
    roomInput.value = room;
    forms.roomShown(room);
  }
  await listRooms();
  await showKey();
  await showRoomOnRelay();
}
void start();
