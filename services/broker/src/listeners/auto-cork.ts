import type { Socket } from 'node:net';

/**
 * aedes writes every packet with its own socket.write(), and Node sends each one with its own system call; at a
 * few thousand messages per second to one subscriber, those calls are most of the broker's CPU. Corking the socket
 * on the first write and uncorking it on the next turn of the event loop sends everything written in between with
 * one writev(). Backpressure is unchanged: write() still returns false past the high-water mark.
 */
export function autoCork(socket: Socket): Socket {
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function corkedWrite(this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      // setImmediate, not nextTick: aedes delivers each message in its own setImmediate callback.
      setImmediate(uncork);
    }
    return write.apply(this, args);
  } as Socket['write'];
  return socket;
}
