import type { ArgumentsHost } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { RateLimitedError } from '../errors/rate-limited.error.js';
import { PaymentsAuthExceptionFilter } from './payments-auth-exception.filter.js';

/**
 * The filter on the platforms the Express integration test does not reach: a Fastify-shaped reply (`header`,
 * `send`) when constructed with `new`, a response already under way, and Nest's HTTP adapter. The response
 * objects record what was called on them, as the platforms' own objects would be called.
 */
// README § Errors › Answering your API's clients: PaymentsAuthExceptionFilter
describe('PaymentsAuthExceptionFilter on other platforms', () => {
  const limited = () => new RateLimitedError({ provider: 'blink', tenant: 'acme' }, 2_500);
  const httpHost = (response: object) =>
    ({ getType: () => 'http', switchToHttp: () => ({ getResponse: () => response }) }) as unknown as ArgumentsHost;

  /** A reply with only the methods named, each recording its call; `status` returns the reply, as both platforms do. */
  function replyWith(...methods: string[]): { calls: unknown[][]; headersSent?: boolean } & Record<string, unknown> {
    const reply: { calls: unknown[][] } & Record<string, unknown> = { calls: [] };
    for (const method of ['status', ...methods]) {
      reply[method] = (...args: unknown[]) => {
        reply.calls.push([method, ...args]);
        return reply;
      };
    }
    return reply;
  }

  it('constructed with new, on a Fastify-shaped reply: header() and send()', () => {
    const reply = replyWith('header', 'send');
    new PaymentsAuthExceptionFilter().catch(limited(), httpHost(reply));
    expect(reply.calls).toEqual([
      ['header', 'Retry-After', '3'],
      ['status', 503],
      ['send', { statusCode: 503, error: expect.objectContaining({ code: 'PAYMENTS_AUTH_RATE_LIMITED' }) }],
    ]);
  });

  it('constructed with new, on an Express-shaped response: setHeader() and json(), even where header() and send() exist', () => {
    const response = replyWith('setHeader', 'header', 'json', 'send');
    new PaymentsAuthExceptionFilter().catch(limited(), httpHost(response));
    expect(response.calls.map(([method]) => method)).toEqual(['setHeader', 'status', 'json']);
  });

  it('constructed with new, a response already under way is ended, with no status or body', () => {
    const response = { ...replyWith('setHeader', 'json', 'end'), headersSent: true };
    new PaymentsAuthExceptionFilter().catch(limited(), httpHost(response));
    expect(response.calls).toEqual([['end']]);
  });

  describe("through Nest's HTTP adapter", () => {
    const adapterCalls: unknown[][] = [];
    let headersSent = false;
    const adapterHost = {
      httpAdapter: {
        isHeadersSent: () => headersSent,
        end: (...args: unknown[]) => adapterCalls.push(['end', ...args]),
        setHeader: (...args: unknown[]) => adapterCalls.push(['setHeader', ...args]),
        reply: (...args: unknown[]) => adapterCalls.push(['reply', ...args]),
      },
    } as unknown as HttpAdapterHost;

    beforeEach(() => {
      adapterCalls.length = 0;
      headersSent = false;
    });

    it('sets the headers and replies with the status and body, never touching the response itself', () => {
      const response = replyWith('setHeader', 'json');
      new PaymentsAuthExceptionFilter(adapterHost).catch(limited(), httpHost(response));
      expect(adapterCalls).toEqual([
        ['setHeader', response, 'Retry-After', '3'],
        ['reply', response, { statusCode: 503, error: expect.objectContaining({ tenant: 'acme' }) }, 503],
      ]);
      expect(response.calls).toEqual([]);
    });

    it('ends a response the adapter says is under way', () => {
      headersSent = true;
      const response = replyWith('setHeader', 'json', 'end');
      new PaymentsAuthExceptionFilter(adapterHost).catch(limited(), httpHost(response));
      expect(adapterCalls).toEqual([['end', response]]);
      expect(response.calls).toEqual([]);
    });
  });
});
