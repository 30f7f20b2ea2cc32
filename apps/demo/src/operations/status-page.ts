import { ADMIN_SECRET_FIELD } from '../security/admin-secret.guard';
import type { TenantStatusRow } from './tenant-status.service';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/** One table row; the page's script builds the same markup from `/status.json`. */
function rowHtml(row: TenantStatusRow): string {
  const tenant = escapeHtml(row.tenant);
  // A button of the form above the table (form="connect"), so the table can be redrawn every second without
  // losing what the admin typed there.
  const connect = row.canConnect
    ? `<button class="connect" form="connect" formaction="/tenants/${escapeHtml(encodeURIComponent(row.tenant))}/blnk/connect">Connect Blnk</button>`
    : '';
  return (
    `<tr data-tenant="${tenant}" data-provider="${row.provider}"><td>${tenant}</td><td>${row.provider}</td><td>${escapeHtml(row.mode)}</td>` +
    `<td class="state">${escapeHtml(row.state)}</td><td>${row.expiresInSeconds ?? ''}</td><td>${row.renewsInSeconds ?? ''}</td><td>${connect}</td></tr>`
  );
}

/**
 * Served as `/status-page.js` rather than inline, so the Content-Security-Policy can forbid inline scripts: an
 * injected `<script>` would not run.
 */
export const STATUS_PAGE_SCRIPT = `const escapeHtml = ${escapeHtml.toString()};
const rowHtml = ${rowHtml.toString()};
setInterval(async () => {
  const response = await fetch('/status.json');
  if (response.ok) document.getElementById('rows').innerHTML = (await response.json()).map(rowHtml).join('');
}, 1000);
`;

/** Served as `/status-page.css`, for the same reason (`style-src 'self'`). */
export const STATUS_PAGE_STYLE = `body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d2330; }
table { border-collapse: collapse; min-width: 48rem; }
th, td { text-align: left; padding: .45rem .8rem; border-bottom: 1px solid #dde1ea; }
th { background: #f3f5f9; }
.state { font-weight: 600; }
.message { padding: .6rem .9rem; border-radius: 6px; max-width: 46rem; }
.ok { background: #e3f6e8; } .error { background: #fde8e8; }
form { margin: 1rem 0; }
button.connect { background: #2f5bea; color: #fff; padding: .3rem .7rem; border: 0; border-radius: 5px; font: inherit; cursor: pointer; }
`;

/**
 * The status and onboarding page: server-rendered, with a few lines of script that refresh the table from
 * `/status.json` every second. No front-end build step; the only dynamic values are escaped.
 *
 * Connecting a tenant is a POST with the admin secret. The admin types it into the form: the page itself is
 * readable by anyone who can reach `/`, so the secret must not be in it; typed into a field, it travels only in
 * the POST that uses it (a cross-site page cannot make that POST, not knowing it). A password manager can fill it.
 */
export function statusPage(
  rows: TenantStatusRow[],
  message: { kind: 'ok' | 'error'; text: string } | undefined,
): string {
  const banner =
    message === undefined ? '' : `<p class="message ${message.kind}" role="status">${escapeHtml(message.text)}</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>payments-auth demo: tenants</title>
<link rel="stylesheet" href="/status-page.css">
<script src="/status-page.js" defer></script>
</head>
<body>
<h1>Tenants</h1>
${banner}
<form id="connect" method="post">
<label>Admin secret (<code>DEMO_ADMIN_SECRET</code>), to connect a tenant: <input type="password" name="${ADMIN_SECRET_FIELD}" autocomplete="current-password" required></label>
</form>
<table>
<thead><tr><th>Tenant</th><th>Provider</th><th>Mode</th><th>State</th><th>Expires in (s)</th><th>Renews in (s)</th><th></th></tr></thead>
<tbody id="rows">${rows.map(rowHtml).join('')}</tbody>
</table>
<p>Updated every second from <a href="/status.json">/status.json</a>. Health: <a href="/health">/health</a>, metrics: <a href="/metrics">/metrics</a>.</p>
</body>
</html>`;
}
