// Node's ESM loader needs the file extension of this deep import; its types live beside it without one.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  export { default } from 'comlink/dist/esm/node-adapter';
}
