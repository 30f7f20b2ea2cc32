import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import Redis from 'ioredis';

/** The keys a FileTokenStore directory holds: every record file names its key. */
export function fileStoreKeys(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .map((name) => (JSON.parse(readFileSync(path.join(directory, name), 'utf8')) as { key: string }).key);
}

/** The keys of a Redis server matching `pattern` (all by default), read with SCAN; lease keys (named `...:lock`) included. */
export async function redisKeys(port: number, pattern = '*'): Promise<string[]> {
  const client = new Redis({ port, host: '127.0.0.1' });
  try {
    const keys: string[] = [];
    let cursor = '0';
    for (let round = 0; round < 1_000; round += 1) {
      const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
      keys.push(...batch);
      cursor = next;
      if (cursor === '0') break;
    }
    return keys;
  } finally {
    client.disconnect();
  }
}
