import type { InternalAxiosRequestConfig } from 'axios';
import { usesHttpAdapter } from './redirect-guard.js';

const withAdapter = (adapter: InternalAxiosRequestConfig['adapter']) => ({ adapter }) as InternalAxiosRequestConfig;

describe('usesHttpAdapter', () => {
  // README § Calling the provider APIs: PaymentsHttpService › Where credentials go (only Axios's http adapter runs redirect hooks)
  it('tells each list of adapter names apart, in whatever order lists come (Axios copies the list per request)', () => {
    for (let round = 0; round < 2; round += 1) {
      expect(usesHttpAdapter(withAdapter(['xhr', 'http', 'fetch']))).toBe(true);
      expect(usesHttpAdapter(withAdapter(['fetch', 'http']))).toBe(false);
      expect(usesHttpAdapter(withAdapter('fetch'))).toBe(false);
      expect(usesHttpAdapter(withAdapter('http'))).toBe(true);
    }
  });
});
