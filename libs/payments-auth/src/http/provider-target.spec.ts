import axios from 'axios';
import { requestUrlOf } from './provider-target.js';

/** What Axios itself would request: the reference every answer of requestUrlOf must equal. */
const axiosUrl = (config: Parameters<typeof requestUrlOf>[0]) => new URL(axios.create().getUri(config)).href;

// README § Calling the provider APIs: PaymentsHttpService › Where credentials go (the URL Axios itself will request)
describe('requestUrlOf', () => {
  it('answers each request by everything that decides its URL, however often a URL was seen before', () => {
    const configs = [
      { url: '/api/pay/v1/intents', baseURL: 'https://secure.blinkpayment.co.uk' },
      { url: '/api/pay/v1/intents', baseURL: 'https://attacker.example' },
      { url: 'https://other.example/x', baseURL: 'https://secure.blinkpayment.co.uk' },
      { url: 'https://other.example/x', baseURL: 'https://secure.blinkpayment.co.uk', allowAbsoluteUrls: false },
      { url: '/ledgers', baseURL: 'https://blnk.example', params: { instance_id: 'a' } },
      { url: '/ledgers', baseURL: 'https://blnk.example', params: { instance_id: 'b' } },
      { url: '/ledgers', baseURL: 'https://blnk.example' },
    ];
    for (let round = 0; round < 2; round += 1)
      for (const config of configs) expect(requestUrlOf(config)?.href).toBe(axiosUrl(config));
  });

  it('is undefined for a request without an absolute URL, every time', () => {
    expect(requestUrlOf({ url: '/relative' })).toBeUndefined();
    expect(requestUrlOf({ url: '/relative' })).toBeUndefined();
  });
});
