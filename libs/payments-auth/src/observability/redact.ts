/** Shapes of credentials we must never echo: JWTs (Blink), Blnk tokens and keys, long hex keys (Blink keys). */
const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?/g,
  /blnk_[A-Za-z0-9_-]+/g,
  /\b[A-Fa-f0-9]{32,}\b/g,
];

export const REDACTED = '[REDACTED]';

/** Shorter values are too common to redact as text (they would blank out ordinary words). */
const MIN_SECRET_LENGTH = 4;
/** A base64 fragment shorter than this says too little to be worth blanking out. */
const MIN_ENCODED_FRAGMENT_LENGTH = 6;
/** Provider text beyond this is never looked at: redaction stays cheap, and what is kept is short anyway. */
const MAX_PROVIDER_TEXT_INPUT = 2_048;
const MAX_PROVIDER_TEXT_OUTPUT = 200;

/**
 * Replaces every known secret value, in every spelling a server echoing a request could use, and anything
 * shaped like a credential.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  return redactSpellings(text, spellingsOf(secrets));
}

/**
 * Two passes: as written, then with percent-escapes upper-cased (so `%2f` and `%2F` are one spelling). The
 * first pass matters too: upper-casing would also change hex text that merely follows a `%`.
 */
function redactSpellings(text: string, spellings: readonly string[], patterns = CREDENTIAL_PATTERNS): string {
  let result = text;
  for (const spelling of spellings) result = result.split(spelling).join(REDACTED);
  if (result.includes('%')) {
    const normalized = result.replace(/%[0-9a-f]{2}/gi, (escape) => escape.toUpperCase());
    let again = normalized;
    for (const spelling of spellings) again = again.split(spelling).join(REDACTED);
    if (again !== normalized) result = again; // text without a secret keeps its escapes as they were
  }
  for (const pattern of patterns) result = result.replace(pattern, REDACTED);
  return result;
}

/**
 * Only the given secrets, in every spelling, and nothing merely shaped like a credential: for bodies of the
 * caller's own API responses, whose hex ids and the like are theirs to read.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return redactSpellings(text, spellingsOf(secrets), []);
}

/**
 * A provider-supplied string made safe to put in an error message or a log line: bounded, redacted, stripped
 * of control characters (no log injection), and short. When the input had to be cut, its last characters are
 * dropped too: they may hold the start of a secret whose end was cut off, which no spelling would match.
 */
export function safeProviderText(value: unknown, secrets: readonly string[] = []): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const spellings = spellingsOf(secrets);
  let clean = redactSpellings(value.slice(0, MAX_PROVIDER_TEXT_INPUT), spellings);
  if (value.length > MAX_PROVIDER_TEXT_INPUT)
    clean = clean.slice(0, Math.max(0, clean.length - (spellings[0]?.length ?? 0)));
  clean = clean.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > MAX_PROVIDER_TEXT_OUTPUT ? `${clean.slice(0, MAX_PROVIDER_TEXT_OUTPUT)}…` : clean;
}

/**
 * A provider error code worth reporting: short, plain, and none of the tenant's secrets or anything shaped
 * like a credential (a server may echo a refresh token as its `error`), or nothing.
 */
export function safeProviderCode(value: unknown, secrets: readonly string[] = []): string | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_. -]{1,64}$/.test(value)) return undefined;
  return redact(value, secrets) === value ? value : undefined;
}

/** Every spelling of every secret, longest first, so a spelling containing another is replaced whole. */
function spellingsOf(secrets: readonly string[]): string[] {
  const spellings = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) continue;
    for (const spelling of spellingsOfOne(secret)) if (spelling.length >= MIN_SECRET_LENGTH) spellings.add(spelling);
  }
  return [...spellings].sort((a, b) => b.length - a.length);
}

/**
 * As sent, URL-encoded (component and form style, once or twice, or every byte), JSON-escaped (also with
 * `\/`), hex, and base64 / base64url. A secret
 * inside a longer base64 text (a Basic header value, `base64(client_id:client_secret)`) is encoded differently
 * depending on its offset, so each of the three alignments contributes the characters that depend on the
 * secret alone.
 */
function spellingsOfOne(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const hex = bytes.toString('hex');
  const json = JSON.stringify(secret).slice(1, -1);
  const everyBytePercentEncoded = hex.replace(/../g, (pair) => `%${pair}`);
  const spellings = [secret, json, json.replace(/\//g, '\\/'), hex, hex.toUpperCase(), everyBytePercentEncoded];
  try {
    const component = encodeURIComponent(secret);
    spellings.push(component, encodeURIComponent(component), new URLSearchParams([['', secret]]).toString().slice(1));
  } catch {
    // a lone surrogate cannot be percent-encoded, so no server could have echoed it that way
  }
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Characters 0..lead-1 mix in the unknown preceding bytes; those past `end` mix in the following ones.
    const lead = offset === 0 ? 0 : offset + 1;
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const fragment = encoded.slice(lead, end);
    if (fragment.length < MIN_ENCODED_FRAGMENT_LENGTH) continue;
    spellings.push(fragment, fragment.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  // Each also with upper-cased escapes, for the second pass of redactSpellings.
  return spellings.flatMap((spelling) => [
    spelling,
    spelling.replace(/%[0-9a-f]{2}/gi, (escape) => escape.toUpperCase()),
  ]);
}
