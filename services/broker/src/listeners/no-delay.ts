import type { Socket } from 'node:net';

/**
 * Turns off Nagle's algorithm. With it, a small packet waits while an earlier one is unacknowledged, and the peer
 * delays its acknowledgement by up to 40 ms: a request answered quickly, or the next message to a busy subscriber,
 * could wait that long. autoCork already gathers each turn's packets into one write, so this costs few extra
 * segments. (The shared MQTT client does the same on the services' side.)
 */
export function noDelay<T extends Socket>(socket: T): T {
  socket.setNoDelay(true);
  return socket;
}
