/**
 * The headless client's transports. The client core only knows {@link Connector}: "open a channel
 * and tell me what arrives", so the same core runs over framed TCP, over WebSocket, and later over a
 * peer's data channel.
 */
import { connect as netConnect, type Socket } from 'node:net';
import WebSocket from 'ws';
import {
  FrameDecoder,
  decodeBody,
  encodeFrame,
  type DecodedFrame,
  type Message,
} from '../../protocol/index.ts';

/** An open channel to the relay. */
export interface Channel {
  send(message: Message): void;
  close(): void;
}

/** What a channel reports. */
export interface ChannelHandlers {
  onFrame(frame: DecodedFrame): void;
  /** Called once, when the channel is gone (after `close()` too). */
  onClose(reason: string): void;
}

/** Opens a channel; rejects if it cannot be opened. */
export type Connector = (handlers: ChannelHandlers) => Promise<Channel>;

/** Largest frame the client accepts from the relay (a seed frame with a 12 MiB image fits). */
const MAX_INBOUND = 24 * 1024 * 1024;

/** A connector for the framed TCP port. */
export function tcpConnector(host: string, port: number, timeoutMs = 5_000): Connector {
  return (handlers) =>
    new Promise((resolve, reject) => {
      const socket: Socket = netConnect({ host, port, noDelay: true });
      const decoder = new FrameDecoder({ maxFrameBytes: MAX_INBOUND });
      let open = false;
      let closed = false;
      const timer = setTimeout(
        () => socket.destroy(new Error(`connect to ${host}:${port} timed out`)),
        timeoutMs,
      );
      socket.once('connect', () => {
        clearTimeout(timer);
        open = true;
        resolve({
          send: (message) => {
            if (!socket.destroyed) socket.write(encodeFrame(message));
          },
          close: () => socket.destroy(),
        });
      });
      socket.on('data', (chunk: Buffer) => {
        for (const frame of decoder.push(chunk)) handlers.onFrame(frame);
      });
      socket.on('error', (error) => {
        if (!open) {
          clearTimeout(timer);
          reject(error);
        }
      });
      socket.on('close', () => {
        if (closed || !open) return;
        closed = true;
        handlers.onClose('connection closed');
      });
    });
}

/** A connector for the WebSocket endpoint (`ws://host:port/ws`). */
export function wsConnector(url: string, timeoutMs = 5_000): Connector {
  return (handlers) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false });
      let open = false;
      ws.on('open', () => {
        open = true;
        resolve({
          send: (message) => {
            if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
          },
          close: () => ws.terminate(),
        });
      });
      ws.on('message', (data) => {
        const bytes = Array.isArray(data)
          ? Buffer.concat(data)
          : data instanceof ArrayBuffer
            ? new Uint8Array(data)
            : data;
        handlers.onFrame(decodeBody(bytes));
      });
      ws.on('error', (error) => {
        if (!open) reject(error);
      });
      ws.on('close', (code, reason) => {
        if (open) handlers.onClose(`closed ${code}${reason.length ? ` ${reason.toString()}` : ''}`);
      });
    });
}
