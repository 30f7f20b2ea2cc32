/** The fields of Blink's `POST /api/pay/v1/tokens` body that change the sandbox's answer. */
export interface BlinkTokenRequest {
  apiKey: string;
  secretKey: string;
  sendBlinkReceipt: boolean;
  addressPostcodeRequired: boolean;
  enableMotoPayments: boolean;
}

export type BlinkTokenRequestParse = { ok: true; request: BlinkTokenRequest } | { ok: false; message: string };

const FLAGS = ['send_blink_receipt', 'address_postcode_required', 'enable_moto_payments'] as const;
const OPTIONAL_TEXT = ['application_name', 'application_description', 'source_site'] as const;

/**
 * Validates the body the way Blink documents it (two required strings, boolean flags defaulting to false,
 * optional descriptive strings). Messages name fields but never repeat their values: they are credentials.
 */
export function parseBlinkTokenRequest(body: Record<string, unknown> | undefined): BlinkTokenRequestParse {
  if (!body) return { ok: false, message: 'The request body must be a JSON object.' };

  const problems: string[] = [];
  for (const field of ['api_key', 'secret_key'] as const) {
    const value = body[field];
    if (value === undefined || value === null || value === '') problems.push(`The ${field} field is required.`);
    else if (typeof value !== 'string') problems.push(`The ${field} field must be a string.`);
  }
  for (const field of FLAGS) {
    const value = body[field];
    if (value !== undefined && typeof value !== 'boolean') problems.push(`The ${field} field must be true or false.`);
  }
  for (const field of OPTIONAL_TEXT) {
    const value = body[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      problems.push(`The ${field} field must be a string.`);
    }
  }
  if (problems.length > 0) return { ok: false, message: problems.join(' ') };

  return {
    ok: true,
    request: {
      apiKey: body.api_key as string,
      secretKey: body.secret_key as string,
      sendBlinkReceipt: body.send_blink_receipt === true,
      addressPostcodeRequired: body.address_postcode_required === true,
      enableMotoPayments: body.enable_moto_payments === true,
    },
  };
}
