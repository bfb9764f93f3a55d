import type { Principal } from '../auth/principal';
import type { SocketSender } from './socket-sender';
import type { Ref } from './stream-protocol';

/** One topic followed by one socket. */
export interface Subscription {
  readonly topic: string;
  readonly carries: 'events' | 'logs';
  /** Announces itself (`subscribed`) and starts delivering; throws a StreamError to refuse. */
  start(): Promise<void>;
  /** Stops delivering and releases what it holds. Idempotent. */
  stop(): void;
}

/** What a subscription knows of the socket it serves. */
export interface SubscriptionContext {
  /** The topic exactly as the client wrote it (echoed on every message). */
  topic: string;
  ref?: Ref;
  principal: Principal;
  sender: SocketSender;
  /** The subscription ended by itself (dropped for backpressure, container removed): forget it. */
  ended(subscription: Subscription): void;
}
