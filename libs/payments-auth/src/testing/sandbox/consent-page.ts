const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/** Blnk's consent screen, as the sandbox shows it: the request's parameters travel on in hidden fields. */
export function consentPage(clientId: string, params: URLSearchParams, nonce: string): string {
  const fields: Array<[string, string]> = [...params, ['consent', nonce]];
  const hidden = fields
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const scope = params.get('scope') ?? 'data:read data:write proxy:write';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Blnk sandbox: authorize</title>
<style>body { font: 15px/1.4 system-ui, sans-serif; margin: 3rem; } button { font-size: 1rem; padding: .4rem 1.2rem; margin-right: .6rem; }</style>
</head>
<body>
<h1>Blnk sandbox</h1>
<p>The application <strong>${escapeHtml(clientId)}</strong> asks for access to your ledgers (${escapeHtml(scope)}).</p>
<form method="post" action="/oauth/authorize/decision">${hidden}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
</body>
</html>`;
}
