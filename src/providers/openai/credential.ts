import { credentialRules } from '../shared/credentials.js';

/** OpenAI SDKs, and every OpenAI-compatible server, send `Authorization: Bearer`. */
export const openaiCredential = credentialRules(['authorization'], 'authorization');
