/**
 * The player link of the "Room & keys" page: the URL a player opens (room, public key, relay), with
 * copy and open buttons and a QR code for phones.
 */
import QRCode from 'qrcode';
import type { StoredKey } from '../lib/keystore.ts';
import { basePath } from '../lib/context.ts';
import { h, replaceChildren } from '../lib/dom.ts';
import { getRelayUrl, playerLink } from '../lib/settings.ts';

/** Shows the player link of `room` signed by `key` in `area` (or why there is none yet). */
export async function showPlayerLink(
  area: HTMLElement,
  room: string | null,
  key: StoredKey | null,
): Promise<void> {
  if (!room || !key) {
    replaceChildren(area, h('p', { class: 'empty' }, 'Generate or import a key to get the player link.'));
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
    area,
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
