/**
 * What a logic script must not reach, and the function that takes it away. Runs inside the sandbox
 * worker, after Comlink has captured the two things it needs (`addEventListener` and `postMessage` of
 * the worker scope) and before any script is evaluated. See `docs/security.md`, "Script sandbox",
 * for what this does and does not stop.
 */

/**
 * Globals removed from the worker scope: every way to talk to the network, to storage, to other
 * contexts of the origin, to start more code with its own scope, and to keep running between calls.
 */
export const REMOVED_GLOBALS = [
  // Network
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'WebSocketStream',
  'WebTransport',
  'EventSource',
  'RTCPeerConnection',
  'webkitRTCPeerConnection',
  'RTCDataChannel',
  'RTCRtpSender',
  'RTCRtpReceiver',
  'Request',
  'Response',
  'Headers',
  // More code with its own scope (and its own, untouched globals)
  'importScripts',
  'Worker',
  'SharedWorker',
  // Storage
  'indexedDB',
  'IDBFactory',
  'caches',
  'CacheStorage',
  'cookieStore',
  'FileSystemHandle',
  'FileSystemDirectoryHandle',
  'FileSystemFileHandle',
  'FileSystemSyncAccessHandle',
  'webkitRequestFileSystem',
  'webkitRequestFileSystemSync',
  'webkitResolveLocalFileSystemURL',
  'webkitResolveLocalFileSystemSyncURL',
  // Other contexts of the origin
  'BroadcastChannel',
  'Notification',
  // The navigator carries storage, locks, USB/HID/serial, GPU and the service worker container
  'navigator',
  // Running between calls: a script is called, returns, and does nothing else until the next call
  'setTimeout',
  'setInterval',
  'requestAnimationFrame',
  'scheduler',
  'OffscreenCanvas',
] as const;

/** The outcome of {@link lockDown}: the names that are still reachable (empty when all went). */
export interface LockdownReport {
  readonly remaining: readonly string[];
}

/**
 * Removes {@link REMOVED_GLOBALS} from `scope`: deletes each one wherever it lives on the prototype
 * chain (interfaces of a global scope keep their members on the scope object or on its prototypes),
 * then pins an own, non-configurable `undefined` over the name so that a script can't put it back
 * from a prototype it still reaches. Returns what could not be removed; a caller must refuse to run
 * scripts unless that list is empty.
 */
export function lockDown(scope: object, names: readonly string[] = REMOVED_GLOBALS): LockdownReport {
  for (const name of names) {
    for (let o: object | null = scope; o !== null; o = Reflect.getPrototypeOf(o)) {
      if (Object.prototype.hasOwnProperty.call(o, name)) Reflect.deleteProperty(o, name);
    }
    Reflect.defineProperty(scope, name, {
      value: undefined,
      writable: false,
      enumerable: false,
      configurable: false,
    });
  }
  return { remaining: names.filter((name) => Reflect.get(scope, name) !== undefined) };
}
