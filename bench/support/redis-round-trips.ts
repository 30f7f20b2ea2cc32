import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** MONITOR's lines reach the counter a moment after the commands ran: wait this long before a reading. */
export const MONITOR_SETTLE_MS = 300;

/** Counts round trips as the servers see them, for as long as it is open. */
export interface RoundTripCounter {
  /** Top-level commands so far, over every server. */
  read(): number;
  close(): Promise<void>;
}

/**
 * Counts, with MONITOR on each server, the commands clients send: every line MONITOR prints except those a Lua
 * script ran (`[0 lua]`: a script is one round trip, counted as its EVAL), those of the bench's own connections
 * (`ignoredClients`, by their local port) and the client's housekeeping. MONITOR costs the server time: measure with it, not speed.
 */
export async function countRoundTrips(
  ports: number[],
  ignoredClients: () => number[],
  /** Only commands whose line matches, e.g. those naming a tenant's keys. */
  only?: RegExp,
): Promise<RoundTripCounter> {
  let total = 0;
  const monitors = await Promise.all(
    ports.map(async (port) => {
      const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'monitor'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let carry = '';
      let started: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => (started = resolve));
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (carry + chunk).split('\n');
        carry = lines.pop() ?? '';
        const ignored = ignoredClients().map((clientPort) => `:${clientPort}]`);
        for (const line of lines) {
          if (line === 'OK') started();
          else if (
            !line.includes(' lua]') &&
            !ignored.some((client) => line.includes(client)) &&
            !housekeeping(line) &&
            (only === undefined || only.test(line))
          )
            total += 1;
        }
      });
      await ready;
      return child;
    }),
  );
  return {
    read: () => total,
    close: async () => {
      await Promise.all(
        monitors.map((child) => {
          const exited = once(child, 'exit');
          child.kill();
          return exited;
        }),
      );
    },
  };
}

/**
 * The client's own upkeep, not the store's protocol: ioredis refreshing a cluster's slot map or checking that a
 * connection is ready (CLUSTER SLOTS, INFO, PING, ...), a few times a minute whatever the store does.
 */
function housekeeping(line: string): boolean {
  return /\] "(cluster|info|ping|command|client|readonly)"/i.test(line);
}
