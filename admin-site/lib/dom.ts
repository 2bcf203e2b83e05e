/**
 * The only way the admin pages build DOM from data: strings become text nodes (never HTML), and
 * attributes are set one by one. Nothing in the site assigns `innerHTML`.
 */

/** A child: a node, or text that is put in as text. */
export type Child = Node | string | number | null | undefined | false;

/** Attributes; `false`/`undefined` leaves an attribute out. */
export type Attrs = Readonly<Record<string, string | number | boolean | undefined>>;

/** Creates an element with attributes and children; every string child is a text node. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children (strings as text nodes). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all children of an element. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** The element with an id, checked to be of the expected class (a page bug throws early and loudly). */
export function byId<T extends HTMLElement>(id: string, type: abstract new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new TypeError(`#${id} is missing or not a ${type.name}`);
  return el;
}

/** Shows a message in a status region: `kind` picks its colour, the text goes in as text. */
export function say(region: HTMLElement, kind: 'ok' | 'error' | 'info' | 'warn', ...children: Child[]): void {
  region.dataset['kind'] = kind;
  replaceChildren(region, ...children);
}

/** "3 s ago", "4 min ago", … from a timestamp. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return '—';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** Downloads bytes or text as a file. */
export function download(name: string, content: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
