/**
 * Blnk's consent page on the sandbox, which approves at once: where it redirects the browser back to, and the
 * callback query it carries.
 */
export async function sandboxConsent(
  authorizationUrl: string,
): Promise<{ redirectedTo: string; query: Record<string, string> }> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status !== 302 || location === null)
    throw new Error(`the consent page answered ${response.status}, not a redirect`);
  const callback = new URL(location);
  return { redirectedTo: callback.origin + callback.pathname, query: Object.fromEntries(callback.searchParams) };
}
