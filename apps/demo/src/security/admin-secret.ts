import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Long enough that guessing it over HTTP is hopeless; `generateAdminSecret()` makes 43 characters. */
const MIN_LENGTH = 16;

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * The secret that lets someone start a Blnk authorization or spend a tenant's credentials (`DEMO_ADMIN_SECRET`).
 * Whoever completes a consent binds the tenant to their Blnk account, so these routes are the admin's alone.
 */
export class AdminSecret {
  private readonly digest: Buffer;

  constructor(secret: string | undefined) {
    if (secret === undefined || secret.length < MIN_LENGTH) {
      throw new Error(
        `Set DEMO_ADMIN_SECRET (at least ${MIN_LENGTH} characters) to a secret of your own: it guards the routes that connect tenants and create payments. ` +
          `One way: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`,
      );
    }
    this.digest = sha256(secret);
  }

  /** Hashing both sides gives equal lengths, so the compare takes the same time whatever was sent, and so does a length mismatch. */
  matches(candidate: unknown): boolean {
    return typeof candidate === 'string' && timingSafeEqual(sha256(candidate), this.digest);
  }
}

/** For a sandbox run without DEMO_ADMIN_SECRET: a fresh one each start, told once on the terminal. */
export function generateAdminSecret(): string {
  return randomBytes(32).toString('base64url');
}
