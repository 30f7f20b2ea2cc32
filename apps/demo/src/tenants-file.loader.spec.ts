import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadTenantsFile } from './tenants-file.loader';

// README § The demo (apps/demo) (tenants from a JSON file of ${ENV_VAR} / ${ENV_VAR:-default} placeholders)
describe('loadTenantsFile', () => {
  let file: string;

  beforeEach(async () => {
    file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'tenants-')), 'tenants.json');
    await fs.writeFile(
      file,
      JSON.stringify({
        acme: {
          blink: { apiKey: '${KEY}', secretKey: '${SECRET}', baseUrl: '${BASE:-https://secure.blinkpayment.co.uk}' },
          blnk: { clientId: 'c', clientSecret: '${SECRET}', refreshToken: '${SEED:-}' },
        },
      }),
    );
  });

  afterEach(async () => {
    await fs.rm(path.dirname(file), { recursive: true, force: true });
  });

  it('expands placeholders, applies defaults and drops fields that expand to nothing', () => {
    const env: Record<string, string> = { KEY: 'k', SECRET: 's' };
    expect(loadTenantsFile(file, (name) => env[name])).toEqual({
      acme: {
        blink: { apiKey: 'k', secretKey: 's', baseUrl: 'https://secure.blinkpayment.co.uk' },
        blnk: { clientId: 'c', clientSecret: 's' },
      },
    });
  });

  it('names every missing variable at once', () => {
    expect(() => loadTenantsFile(file, () => undefined)).toThrow(/needs these environment variables: KEY, SECRET$/);
  });
});
