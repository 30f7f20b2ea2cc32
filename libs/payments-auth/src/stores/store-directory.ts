import { type Stats, chmodSync, promises as fs, statSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { PaymentsAuthConfigError } from '../errors/config.error.js';

const OWNER_ONLY = 0o700;

/**
 * The token directory holds access and refresh tokens, so it must be ours and nobody else's: owned by this
 * process's user and closed to group and others. One we create gets 0700; one that exists with wider
 * permissions is tightened when it is ours; one owned by another user is refused whatever its mode (its owner
 * can read and plant token files). Checked synchronously when the store is constructed, so a bad directory
 * fails the application at bootstrap, and again when the store first creates or uses it (it may appear in
 * between).
 */
export function secureExistingDirectory(directory: string, logger = new Logger('PaymentsAuth')): void {
  let stats: Stats;
  try {
    stats = statSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // created with 0700 on first use
    throw refused(directory, `cannot be inspected (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const loose = problemWith(directory, stats);
  if (loose === undefined) return;
  try {
    chmodSync(directory, OWNER_ONLY);
  } catch (error) {
    throw refused(
      directory,
      `${loose} and could not be tightened (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  logger.warn(`token store directory ${directory} ${loose}; tightened to 0700`);
}

/** The same check, for the directory as the store finds it right after creating it (or finding it there). */
export async function secureDirectory(directory: string, logger = new Logger('PaymentsAuth')): Promise<void> {
  const loose = problemWith(directory, await fs.stat(directory));
  if (loose === undefined) return;
  await fs.chmod(directory, OWNER_ONLY);
  logger.warn(`token store directory ${directory} ${loose}; tightened to 0700`);
}

/** A token file must be ours and closed to others too: one planted by another user must never be served. */
export function isOwnPrivateFile(stats: Stats): boolean {
  return (process.getuid === undefined || stats.uid === process.getuid()) && (stats.mode & 0o077) === 0;
}

/** Throws for what cannot be fixed; returns what tightening fixes; undefined when all is well. */
function problemWith(directory: string, stats: Stats): string | undefined {
  if (!stats.isDirectory()) throw refused(directory, 'exists and is not a directory');
  const octal = (stats.mode & 0o777).toString(8).padStart(4, '0');
  if (process.getuid !== undefined && stats.uid !== process.getuid()) {
    throw refused(
      directory,
      `belongs to another user (uid ${stats.uid}, mode ${octal}); use a directory of this process's user`,
    );
  }
  return (stats.mode & 0o077) === 0 ? undefined : `was accessible to other users (mode ${octal})`;
}

function refused(directory: string, problem: string): PaymentsAuthConfigError {
  return new PaymentsAuthConfigError([{ path: 'store.directory', problem: `${directory} ${problem}` }]);
}
