/**
 * A local fleet whose nodes change between scans, for the gate's end-to-end
 * test: one HTTP server per node on 127.0.0.1 answering /flux/info with
 * FluxOS's envelope from the node's current state, or dropping the
 * connection while the node is down.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface NodeInfo {
  version: string;
  commit: string;
  mode: 'preprod' | 'production';
  reason: string;
  draw: number;
  probability: number;
}

export interface ReleaseFleet {
  /** `127.0.0.1:port` of every node. */
  targets: string[];
  /** The node's answer; null makes it drop every connection (silent). */
  states: (NodeInfo | null)[];
  close(): Promise<void>;
}

function body(info: NodeInfo): string {
  const preProd = {
    mode: info.mode,
    reason: info.reason,
    branch: info.mode === 'preprod' ? 'preprod' : 'master',
    commit: info.commit,
    probability: info.probability,
    draw: info.draw,
    rolledAt: '2026-01-01T00:00:00.000Z',
    nextRollAt: '2026-01-31T00:00:00.000Z',
    optedOut: false,
  };
  const flux = { version: info.version, preProdNode: info.mode === 'preprod', preProd };
  return JSON.stringify({ status: 'success', data: { flux } });
}

export async function startReleaseFleet(initial: NodeInfo[]): Promise<ReleaseFleet> {
  const states: (NodeInfo | null)[] = [...initial];
  const servers = await Promise.all(
    initial.map(async (_, i) => {
      const server = http.createServer((req, res) => {
        const info = states[i];
        if (info === null) {
          req.socket.destroy();
          return;
        }
        const text = body(info);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    }),
  );
  return {
    targets: servers.map((server) => `127.0.0.1:${(server.address() as AddressInfo).port}`),
    states,
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}
