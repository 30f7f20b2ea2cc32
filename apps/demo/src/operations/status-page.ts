import type { TenantStatusRow } from './tenant-status.service';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/** One table row; the page's script builds the same markup from `/status.json`. */
function rowHtml(row: TenantStatusRow): string {
  const tenant = escapeHtml(row.tenant);
  const connect = row.canConnect ? `<a class="connect" href="/tenants/${tenant}/blnk/connect">Connect Blnk</a>` : '';
  return (
    `<tr data-tenant="${tenant}" data-provider="${row.provider}"><td>${tenant}</td><td>${row.provider}</td><td>${escapeHtml(row.mode)}</td>` +
    `<td class="state">${escapeHtml(row.state)}</td><td>${row.expiresInSeconds ?? ''}</td><td>${row.renewsInSeconds ?? ''}</td><td>${connect}</td></tr>`
  );
}

/**
 * The status and onboarding page: server-rendered, with a few lines of script that refresh the table from
 * `/status.json` every second. No front-end build step; the only dynamic values are escaped.
 */
export function statusPage(rows: TenantStatusRow[], message: { kind: 'ok' | 'error'; text: string } | undefined): string {
  const banner = message === undefined ? '' : `<p class="message ${message.kind}" role="status">${escapeHtml(message.text)}</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>payments-auth demo: tenants</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d2330; }
  table { border-collapse: collapse; min-width: 48rem; }
  th, td { text-align: left; padding: .45rem .8rem; border-bottom: 1px solid #dde1ea; }
  th { background: #f3f5f9; }
  .state { font-weight: 600; }
  .message { padding: .6rem .9rem; border-radius: 6px; max-width: 46rem; }
  .ok { background: #e3f6e8; } .error { background: #fde8e8; }
  a.connect { background: #2f5bea; color: #fff; padding: .3rem .7rem; border-radius: 5px; text-decoration: none; }
</style>
</head>
<body>
<h1>Tenants</h1>
${banner}
<table>
<thead><tr><th>Tenant</th><th>Provider</th><th>Mode</th><th>State</th><th>Expires in (s)</th><th>Renews in (s)</th><th></th></tr></thead>
<tbody id="rows">${rows.map(rowHtml).join('')}</tbody>
</table>
<p>Updated every second from <a href="/status.json">/status.json</a>. Health: <a href="/health">/health</a>, metrics: <a href="/metrics">/metrics</a>.</p>
<script>
const escapeHtml = ${escapeHtml.toString()};
const rowHtml = ${rowHtml.toString()};
setInterval(async () => {
  const response = await fetch('/status.json');
  if (response.ok) document.getElementById('rows').innerHTML = (await response.json()).map(rowHtml).join('');
}, 1000);
</script>
</body>
</html>`;
}
