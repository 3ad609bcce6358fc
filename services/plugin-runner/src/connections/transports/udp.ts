import type { RemoteInfo, Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { DEBUG } from '../../domoticz/runtime.js';
import { builtins } from '../builtins.js';
import type { ConnectionState } from '../connection-state.js';
import type { Codec } from '../protocols/codec.js';
import { statusOf } from './stream.js';

const BROADCAST = '255.255.255.255';

export function isMulticast(address: string): boolean {
  const first = Number(address.split('.')[0]);
  return /^\d+\.\d+\.\d+\.\d+$/.test(address) && first >= 224 && first <= 239;
}

function udpSocket(address: string): Socket {
  return builtins.dgram.createSocket({
    type: builtins.net.isIPv6(address) ? 'udp6' : 'udp4',
    reuseAddr: true,
  });
}

/**
 * UDP sends without a connection: the first send (or Connect) opens a socket on a free port, with broadcast
 * allowed. Datagrams that come back to it are onMessage on this Connection. There is never onConnect or
 * onDisconnect for UDP.
 */
export function ensureUdpSender(
  state: ConnectionState,
  address: string,
  onDatagram: (data: Buffer, from: RemoteInfo) => void,
): Promise<Socket> {
  if (state.udp) return Promise.resolve(state.udp);
  const socket = udpSocket(address);
  state.udp = socket;
  state.connected = true;
  state.runtime.connections.add(state);
  socket.on('message', onDatagram);
  socket.on('error', (error) =>
    state.runtime.logger.error(
      { connection: state.name, err: error.message },
      `UDP error on ${state.name}: ${error.message}`,
    ),
  );
  return new Promise((resolve) => {
    socket.bind(0, () => {
      socket.setBroadcast(true);
      resolve(socket);
    });
  });
}

/**
 * Listen on UDP: an address of 224.x-239.x joins that multicast group, 255.255.255.255 receives broadcasts, any
 * other address (or none) is unicast. A failure to bind is reported through onConnect, as Domoticz does.
 */
export function listenUdp(
  state: ConnectionState,
  address: string,
  port: number,
  onDatagram: (data: Buffer, from: RemoteInfo) => void,
): void {
  const multicast = isMulticast(address);
  const broadcast = address === BROADCAST;
  const socket = udpSocket(address || '0.0.0.0');
  state.udp = socket;
  socket.on('message', onDatagram);
  socket.once('error', (error: NodeJS.ErrnoException) => {
    state.listening = false;
    state.udp = undefined;
    state.runtime.connections.delete(state);
    socket.close();
    state.emit('onConnect', [statusOf(error), `cannot listen on UDP port ${port}: ${error.message}`]);
  });
  const bindAddress = multicast || broadcast || !address ? undefined : address;
  socket.bind({ port, address: bindAddress }, () => {
    try {
      if (multicast) joinGroup(socket, address);
      if (broadcast) socket.setBroadcast(true);
    } catch (error) {
      socket.emit('error', error);
      return;
    }
    state.listening = true;
    state.connected = true;
    state.runtime.connections.add(state);
    state.runtime.trace(
      DEBUG.connections,
      { connection: state.name, port, mode: multicast ? 'multicast' : broadcast ? 'broadcast' : 'unicast' },
      `${state.name} listening for UDP`,
    );
  });
}

/**
 * Joins a multicast group on every IPv4 interface (loopback included), so a listener hears the group whichever
 * interface a sender uses; the kernel's default would pick only the interface of the default route.
 */
function joinGroup(socket: Socket, group: string): void {
  let joined = 0;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const entry of addresses ?? []) {
      if (entry.family !== 'IPv4') continue;
      try {
        socket.addMembership(group, entry.address);
        joined++;
      } catch {
        // An interface without multicast support; the others still count.
      }
    }
  }
  if (joined === 0) socket.addMembership(group);
}

/** One datagram through a protocol (each datagram is complete; Line/JSON/XML may still split it). */
export function decodeDatagram(codec: Codec, data: Buffer): unknown[] {
  return [...codec.decode(data), ...(codec.end?.() ?? [])];
}
