import { GatewayError } from '../../core/errors.js';
import { boundaryOf, formParts } from './form-fields.js';

/**
 * A form body (RFC 7578) with the value of its `model` text part replaced by `model`: every
 * other byte is kept, the other parts and their files, the boundary, a preamble or epilogue,
 * so the content type sent with it still holds. Pure.
 *
 * Refused (invalid_request) when the form has no single text part named `model` to change:
 * not a form, no such part (the provider's default model would be served, not the one policy
 * chose), or only a file part of that name. Sending the form unchanged would serve a model
 * the policy did not choose; sending anything else would not be the client's request.
 */
export function withFormModel(body: Buffer, contentType: string | undefined, model: string): Buffer {
  const boundary = boundaryOf(contentType);
  const parts = boundary === undefined ? [] : [...formParts(body, boundary)].filter((p) => p.part?.name === 'model');
  const only = parts.length === 1 && parts[0]!.part!.filename === undefined ? parts[0]! : undefined;
  if (only === undefined) {
    throw new GatewayError('invalid_request', `Tollgate serves this request with the model "${model}" (a model policy, budget or routing rule), which it writes into the form's text part named "model"; this body has no such part${boundary === undefined ? ' (it is not a multipart/form-data body with a boundary)' : ''}. Give the model as one text part named "model".`);
  }
  // A line break would let a name (from configuration) end the part early and begin another.
  if (/[\r\n]/.test(model)) throw new GatewayError('invalid_request', `The model ${JSON.stringify(model)} cannot be written into a form: it holds a line break.`);
  return Buffer.concat([body.subarray(0, only.valueStart), Buffer.from(model, 'utf8'), body.subarray(only.valueEnd)]);
}
