import { credentialRules } from '../shared/credentials.js';

/**
 * The genai SDK sends `x-goog-api-key`; REST examples use `?key=`; OpenAI-style tools
 * send a Bearer (protocols.md §4.1).
 */
export const geminiCredential = credentialRules(['x-goog-api-key', 'query-key', 'authorization'], 'x-goog-api-key');
