/** Shapes of credentials we must never echo: JWTs (Blink), Blnk tokens and keys, long hex keys (Blink keys). */
const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?/g,
  /blnk_[A-Za-z0-9_-]+/g,
  /\b[A-Fa-f0-9]{32,}\b/g,
];

export const REDACTED = '[REDACTED]';

/** Replaces every known secret value and anything shaped like a credential. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join(REDACTED);
  }
  for (const pattern of CREDENTIAL_PATTERNS) result = result.replace(pattern, REDACTED);
  return result;
}

/**
 * A provider-supplied string made safe to put in an error message or a log line: redacted, stripped of
 * control characters (no log injection), and short.
 */
export function safeProviderText(value: unknown, secrets: readonly string[] = []): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const clean = redact(value, secrets).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

/** A provider error code worth reporting: short and plain, or nothing. */
export function safeProviderCode(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_. -]{1,64}$/.test(value) ? value : undefined;
}
