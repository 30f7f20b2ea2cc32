// Copied into each consumer app's src/ by test/consumers.consumer-spec.ts (the same code in every app).
import type { INestApplicationContext } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { BlinkTokenService, BlnkTokenService, PaymentsHttpService, type ProviderName } from 'nestjs-payments-auth';

/**
 * Each provider's folder adds its name to ProviderName (declaration merging): this fails to compile, against the
 * packed package's types, if a name went missing from the published declarations.
 */
const PROVIDER_NAMES: Record<ProviderName, true> = { blink: true, blnk: true };

export interface PaymentsCheck {
  blinkExpiresAt: string;
  blnkHasRefreshToken: boolean;
  blinkIntentStatus: number;
  blnkLedgersStatus: number;
  blnkInstanceId: string;
}

/** Tokens from both services, then one call to each provider through PaymentsHttpService (the interceptor). */
export async function checkPayments(
  app: INestApplicationContext,
  urls: { blink: string; blnk: string } = { blink: process.env.BLINK_URL ?? '', blnk: process.env.BLNK_URL ?? '' },
): Promise<PaymentsCheck> {
  const blink = await app.get(BlinkTokenService).getTokenInfo('acme');
  const blnk = await app.get(BlnkTokenService).getTokenInfo('acme');
  const http = app.get(PaymentsHttpService);
  const intent = await firstValueFrom(
    http.post(
      `${urls.blink}/api/pay/v1/intents`,
      { amount: 100, currency: 'GBP' },
      { paymentsAuth: { tenant: 'acme' } },
    ),
  );
  const ledgers = await firstValueFrom(
    http.get<{ instance_id: string }>(`${urls.blnk}/data/ledgers`, { paymentsAuth: { tenant: 'acme' } }),
  );
  if (Object.keys(PROVIDER_NAMES).length !== 2) throw new Error('ProviderName changed');
  return {
    blinkExpiresAt: blink.expiresAt.toISOString(),
    blnkHasRefreshToken: blnk.hasRefreshToken,
    blinkIntentStatus: intent.status,
    blnkLedgersStatus: ledgers.status,
    blnkInstanceId: ledgers.data.instance_id,
  };
}
