/**
 * A registry of message handlers, one per message type (the shape of peerjs-server's
 * `HandlersRegistry`): a session looks the handler up by the type of a message that already passed
 * the protocol's validator, so each handler gets the message narrowed to its own type.
 */
import type { Message, MessageOf, MessageType } from '../../protocol/index.ts';

/** Handles one type of message for a session of type `S`. */
export type Handler<S, T extends MessageType> = (session: S, message: MessageOf<T>) => void;

function isOf<T extends MessageType>(message: Message, type: T): message is MessageOf<T> {
  return message.type === type;
}

/** Message type → handler. */
export class HandlerRegistry<S> {
  private readonly handlers = new Map<MessageType, (session: S, message: Message) => void>();

  /** Registers the handler of one message type; a type has one handler, registering two is a bug. */
  on<T extends MessageType>(type: T, handler: Handler<S, T>): this {
    if (this.handlers.has(type)) throw new Error(`a handler for ${type} is already registered`);
    this.handlers.set(type, (session, message) => {
      if (isOf(message, type)) handler(session, message);
    });
    return this;
  }

  /** True when a handler is registered for `type`. */
  has(type: MessageType): boolean {
    return this.handlers.has(type);
  }

  /** Runs the handler of the message's type; false when there is none. */
  dispatch(session: S, message: Message): boolean {
    const handler = this.handlers.get(message.type);
    if (!handler) return false;
    handler(session, message);
    return true;
  }
}
