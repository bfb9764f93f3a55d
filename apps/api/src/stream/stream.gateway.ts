import { Inject } from '@nestjs/common';
import { OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { MAX_CLIENT_MESSAGE_BYTES, STREAM_PATH } from './stream-protocol';
import { StreamService } from './stream.service';

/**
 * `/ws` on the API's own HTTP server (WsAdapter). Thin: the protocol is not Nest's
 * `{event, data}` one, so every socket is handed to StreamService, which reads its messages.
 */
@WebSocketGateway({ path: STREAM_PATH, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false })
export class StreamGateway implements OnGatewayConnection {
  constructor(@Inject(StreamService) private readonly stream: StreamService) {}

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    this.stream.accept(socket, request);
  }
}
