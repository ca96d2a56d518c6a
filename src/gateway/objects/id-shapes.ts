import { type Api, DIALECTS, type Dialect } from '../../core/api.js';
import { fileNameOfUri } from '../../providers/gemini/files.js';

/** What kind of stored object an id names, by its shape: whose it is (a dialect), what a message calls it, and the API recorded with its owner. */
export interface ObjectKind {
  dialect: Dialect;
  noun: string;
  api: Api;
}

interface Shape extends ObjectKind {
  prefix: string;
  /** The prefix names the kind only: the id recorded is what follows it. */
  bare?: true;
}

const shape = (prefix: string, dialect: Dialect, noun: string, api: Api): Shape => ({ prefix, dialect, noun, api });

/**
 * The ids of the objects whose owners Tollgate records, by their providers' prefixes. A stored
 * Response's or conversation's items come with several, one per item type (message, function call,
 * reasoning, web and file search, code interpreter, image generation, custom tool and MCP calls).
 */
const SHAPES: readonly Shape[] = [
  shape('file-', 'openai', 'file', 'openai.files'),
  shape('batch_', 'openai', 'batch', 'openai.batches'),
  shape('resp_', 'openai', 'stored Response', 'openai.responses'),
  shape('chatcmpl-', 'openai', 'stored chat completion', 'openai.chat'),
  shape('conv_', 'openai', 'conversation', 'openai.conversations'),
  shape('vs_', 'openai', 'vector store', 'openai.vector_stores'),
  shape('cntr_', 'openai', 'container', 'openai.containers'),
  shape('cfile_', 'openai', "container's file", 'openai.container_files'),
  shape('skill_', 'openai', 'skill', 'openai.skills'),
  ...['msg_', 'fc_', 'rs_', 'ws_', 'fs_', 'ci_', 'ig_', 'ctc_', 'mcp_'].map((p) => shape(p, 'openai', 'item', 'openai.responses')),
  shape('msgbatch_', 'anthropic', 'Message Batch', 'anthropic.batches'),
  shape('file_', 'anthropic', 'file', 'anthropic.files'),
  shape('skill_', 'anthropic', 'skill', 'anthropic.skills'),
  shape('container_', 'anthropic', 'container', 'anthropic.messages'),
  shape('cachedContents/', 'gemini', 'cached content', 'gemini.caches'),
  shape('files/', 'gemini', 'file', 'gemini.files'),
  shape('batches/', 'gemini', 'batch', 'gemini.batches'),
  // A Gemini interaction's id has no prefix of its own (the gateway records it as its answer gives
  // it): it is named as its resource, `interactions/{id}`, as its path has it.
  { ...shape('interactions/', 'gemini', 'interaction', 'gemini.interactions'), bare: true },
];

/** The kind of an interaction's id, which its shape does not tell: known from the API recorded with it. */
export const INTERACTION: ObjectKind = { dialect: 'gemini', noun: 'interaction', api: 'gemini.interactions' };

/** What may follow a prefix: the letters, digits and marks providers' ids use, no `/`, space or control character. */
const REST = /^[A-Za-z0-9_.-]{1,256}$/;

/** Each dialect's provider, as people call it. */
export const DIALECT_NAMES: Record<Dialect, string> = { openai: 'OpenAI', anthropic: 'Anthropic', gemini: 'Gemini' };

/**
 * An id as given (`text`) read as a stored object's: trimmed, a Gemini file's URI taken as its name
 * (`https://generativelanguage.googleapis.com/v1beta/files/abc` is `files/abc`), its kind known by
 * its shape, a Gemini interaction's (`interactions/{id}`) read as the id alone, as it is recorded. `dialect`: the provider's, when the caller said which (`provider`, the word for saying
 * so in a message: an id of the shape of two providers' objects, a skill's, needs it). A RangeError
 * says what is wrong with the id.
 */
export function readObjectId(text: string, dialect: Dialect | undefined, provider: string): { id: string; kind: ObjectKind } {
  const trimmed = text.trim();
  if (trimmed === '') throw new RangeError('an object id must not be empty');
  const id = /^https?:\/\//i.test(trimmed) ? (fileNameOfUri(trimmed) ?? trimmed) : trimmed;
  const shown = JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);
  const fits = SHAPES.filter((s) => id.startsWith(s.prefix) && REST.test(id.slice(s.prefix.length)));
  if (fits.length === 0) throw new RangeError(`${shown} is not the id of an object whose owner Tollgate records: ${known()}`);
  const ours = dialect === undefined ? fits : fits.filter((s) => s.dialect === dialect);
  if (ours.length === 0) throw new RangeError(`${shown} is ${article(fits[0]!)}, not ${withArticle(DIALECT_NAMES[dialect!])} object's (${provider})`);
  if (ours.length > 1) throw new RangeError(`${shown} may be ${ours.map(article).join(' or ')}: say whose with ${provider}`);
  const { dialect: d, noun, api, prefix, bare } = ours[0]!;
  return { id: bare ? id.slice(prefix.length) : id, kind: { dialect: d, noun, api } };
}

/** What a kind is called for people: `an OpenAI vector store`. */
export function kindText(kind: ObjectKind): string {
  return `${DIALECT_NAMES[kind.dialect]} ${kind.noun}`;
}

function article(s: Shape): string {
  return `${withArticle(kindText(s))}'s id`;
}

/** `an OpenAI …`, `a Gemini …`. */
function withArticle(words: string): string {
  return `${/^[AEIOU]/.test(words) ? 'an' : 'a'} ${words}`;
}

/** The prefixes known, by provider, for an error message. */
function known(): string {
  return DIALECTS.map((d) => `${SHAPES.filter((s) => s.dialect === d).map((s) => s.prefix).join(', ')} (${DIALECT_NAMES[d]})`).join('; ');
}
