/**
 * A connection cap for the /flux/info server that keeps answering real clients during a
 * flood (docs/design.md §6). A plain cap (`server.maxConnections`) turns a flood of idle
 * sockets into a denial of service: the attacker holds every slot and new clients are
 * refused. Here a new connection at the cap evicts the OLDEST connection that has no
 * request in progress: a real client sends its request at once and is answered from a
 * buffer, so it is never the oldest idle one; idle sockets are what get closed.
 */
import type * as http from 'node:http';
import type * as net from 'node:net';
import { readFileSync } from 'node:fs';

/** File descriptors left for everything else the process does (git, the store, logs). */
const SPARE_DESCRIPTORS = 64;

/** The soft limit on open files from /proc/self/limits, or null where it cannot be read. */
export function openFileLimit(limitsText?: string): number | null {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return null;
    }
  }
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (!match || match[1] === 'unlimited') return null;
  return Number(match[1]);
}

/** The cap to use: the wanted one, lowered so the process never runs out of file descriptors. */
export function connectionCap(wanted: number, fileLimit: number | null): number {
  if (fileLimit === null) return wanted;
  return Math.max(1, Math.min(wanted, fileLimit - SPARE_DESCRIPTORS));
}

/**
 * Applies the cap to `server`. Returns how many connections were evicted so far (for tests
 * and logs). Sockets are kept in a Set, whose order is the order they arrived in.
 */
export function capConnections(server: http.Server, max: number): { evicted: () => number } {
  const open = new Set<net.Socket>();
  const busy = new WeakSet<net.Socket>();
  let evicted = 0;
  server.on('connection', (socket: net.Socket) => {
    if (open.size >= max) {
      const victim = oldestIdle(open, busy);
      if (victim) {
        open.delete(victim);
        victim.destroy();
        evicted += 1;
      } else {
        // Every slot has a request in progress: the newcomer waits for another try.
        socket.destroy();
        evicted += 1;
        return;
      }
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    busy.add(socket);
    const done = () => busy.delete(socket);
    res.once('finish', done);
    res.once('close', done);
  });
  return { evicted: () => evicted };
}

function oldestIdle(open: Set<net.Socket>, busy: WeakSet<net.Socket>): net.Socket | null {
  for (const socket of open) if (!busy.has(socket)) return socket;
  return null;
}
