import { statSync, chmodSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { PaymentsAuthConfigError } from '../errors/config.error';

const OWNER_ONLY = 0o700;

/**
 * The token directory holds access and refresh tokens, so nobody but its owner may list or enter it. One we
 * create gets 0700; one that already exists with wider permissions is tightened when it is ours, and refused
 * when it is not (tightening someone else's directory is not our call, and using it would expose the tokens).
 * Checked synchronously when the store is constructed, so a bad directory fails the application at bootstrap.
 */
export function secureExistingDirectory(directory: string, logger = new Logger('PaymentsAuth')): void {
  let stats;
  try {
    stats = statSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // created with 0700 on first use
    throw refused(directory, `cannot be inspected (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!stats.isDirectory()) throw refused(directory, 'exists and is not a directory');
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) === 0) return;
  const octal = mode.toString(8).padStart(4, '0');
  if (process.getuid !== undefined && stats.uid !== process.getuid()) {
    throw refused(directory, `is accessible to other users (mode ${octal}) and belongs to another user; make it 0700 or choose another directory`);
  }
  try {
    chmodSync(directory, OWNER_ONLY);
  } catch (error) {
    throw refused(directory, `is accessible to other users (mode ${octal}) and could not be tightened (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  logger.warn(`token store directory ${directory} was accessible to other users (mode ${octal}); tightened to 0700`);
}

function refused(directory: string, problem: string): PaymentsAuthConfigError {
  return new PaymentsAuthConfigError([{ path: 'store.directory', problem: `${directory} ${problem}` }]);
}
