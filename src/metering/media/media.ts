import { type ImageSize, imageSize } from './image-size.js';
import { pdfPages } from './pdf-pages.js';

/** The wire format a media block was written in. */
export type MediaDialect = 'anthropic' | 'openai' | 'gemini';

/**
 * An image or a PDF in a request body, which the provider bills by its own rules (pixels, tiles,
 * pages) rather than by its bytes. Audio, video and plain-text documents are not media here:
 * they are counted as the rest of the body is.
 */
export interface MediaItem {
  kind: 'image' | 'pdf';
  dialect: MediaDialect;
  /** Characters of the body's strings that carry the media (base64 data, a data: URL or a URL). */
  chars: number;
  /** OpenAI's `detail`, when given. */
  detail?: string;
  /** The base64 payload, when the media is in the body; absent for a URL or file reference. */
  data?: string;
  /** Read from `data` on first use: the image's size, or the PDF's pages (null when unknown). */
  size?: ImageSize | null;
  pages?: number | null;
}

export function sizeOf(m: MediaItem): ImageSize | undefined {
  if (m.size === undefined) m.size = (m.data !== undefined ? imageSize(m.data) : undefined) ?? null;
  return m.size ?? undefined;
}

export function pagesOf(m: MediaItem): number | undefined {
  if (m.pages === undefined) m.pages = (m.data !== undefined ? pdfPages(m.data) : undefined) ?? null;
  return m.pages ?? undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** What a data: URL or bare base64 string carries: its media type (when a data: URL) and payload. */
function dataUrl(s: string): { mime?: string; data: string } | undefined {
  if (!s.startsWith('data:')) return undefined;
  const comma = s.indexOf(',');
  const head = s.slice(5, comma);
  return comma > 0 && head.endsWith(';base64') ? { mime: head.slice(0, head.indexOf(';')), data: s.slice(comma + 1) } : undefined;
}

function kindOf(mime: string | undefined): MediaItem['kind'] | undefined {
  const m = mime?.toLowerCase();
  return m?.startsWith('image/') ? 'image' : m === 'application/pdf' ? 'pdf' : undefined;
}

/** An image given as an OpenAI `image_url` (a URL or a data: URL). */
function openaiImage(url: string | undefined, detail: unknown, fileId: unknown): MediaItem | undefined {
  if (url === undefined && typeof fileId !== 'string') return undefined;
  const inline = url === undefined ? undefined : dataUrl(url);
  return { kind: 'image', dialect: 'openai', chars: url?.length ?? 0, detail: str(detail), data: inline?.data };
}

/** A file given as OpenAI file data (a data: URL, or bare base64 with a `.pdf` file name) or a reference. */
function openaiFile(f: Obj): MediaItem | undefined {
  const fileData = str(f.file_data);
  if (fileData !== undefined) {
    const inline = dataUrl(fileData);
    const pdf = inline ? kindOf(inline.mime) === 'pdf' : /\.pdf$/i.test(str(f.filename) ?? '');
    return pdf ? { kind: 'pdf', dialect: 'openai', chars: fileData.length, data: inline?.data ?? fileData } : undefined;
  }
  const ref = str(f.file_id) ?? str(f.file_url);
  // A referenced file's type is unknown here; a PDF is what a model reads as pages.
  return ref !== undefined ? { kind: 'pdf', dialect: 'openai', chars: ref.length } : undefined;
}

function anthropicBlock(type: string, source: unknown): MediaItem | undefined {
  if (!isObj(source)) return undefined;
  const kind = type === 'image' ? 'image' : 'pdf';
  if (source.type === 'base64') {
    const data = str(source.data);
    if (data === undefined || (kind === 'pdf' && kindOf(str(source.media_type)) !== 'pdf')) return undefined;
    return { kind, dialect: 'anthropic', chars: data.length, data };
  }
  if (source.type === 'url' || source.type === 'file') return { kind, dialect: 'anthropic', chars: (str(source.url) ?? str(source.file_id) ?? '').length };
  return undefined; // a text or content document: its text is counted as text
}

function geminiPart(inline: unknown, file: unknown): MediaItem | undefined {
  if (isObj(inline)) {
    const data = str(inline.data);
    const kind = kindOf(str(inline.mimeType) ?? str(inline.mime_type));
    return data !== undefined && kind ? { kind, dialect: 'gemini', chars: data.length, data } : undefined;
  }
  if (!isObj(file)) return undefined;
  const kind = kindOf(str(file.mimeType) ?? str(file.mime_type));
  return kind ? { kind, dialect: 'gemini', chars: (str(file.fileUri) ?? str(file.file_uri) ?? '').length } : undefined;
}

/**
 * The media a content block or part carries, in any dialect: Anthropic `image` and `document`
 * blocks; OpenAI Chat `image_url` and `file` parts; Responses `input_image` and `input_file`;
 * Gemini `inlineData` and `fileData` parts. Undefined for anything else (one property read for most).
 */
export function mediaItem(o: Obj): MediaItem | undefined {
  const t = o.type;
  if (t === undefined ? o.inlineData === undefined && o.inline_data === undefined && o.fileData === undefined && o.file_data === undefined : !MEDIA_TYPES.has(t as string)) return undefined;
  // Each walk over a body finds the same blocks: one reading of each (and of its image's header) serves them all.
  const seen = items.get(o);
  if (seen !== undefined) return seen ?? undefined;
  const m = readBlock(o);
  items.set(o, m ?? null);
  return m;
}

const MEDIA_TYPES = new Set(['image', 'document', 'image_url', 'input_image', 'file', 'input_file']);
const items = new WeakMap<object, MediaItem | null>();

function readBlock(o: Obj): MediaItem | undefined {
  switch (o.type) {
    case 'image':
    case 'document':
      return anthropicBlock(o.type, o.source);
    case 'image_url': {
      const iu = o.image_url;
      return isObj(iu) ? openaiImage(str(iu.url), iu.detail, undefined) : openaiImage(str(iu), undefined, undefined);
    }
    case 'input_image':
      return openaiImage(str(o.image_url), o.detail, o.file_id);
    case 'file':
      return isObj(o.file) ? openaiFile(o.file) : undefined;
    case 'input_file':
      return openaiFile(o);
    case undefined:
      return geminiPart(o.inlineData ?? o.inline_data, o.fileData ?? o.file_data);
    default:
      return undefined;
  }
}

const found = new WeakMap<object, MediaItem[]>();
/** Nesting followed at most: a tool result's blocks inside a message's, and a little more. */
const MAX_DEPTH = 8;

/**
 * The media of a parsed request body, in any dialect, remembered for the body. Only the lists
 * of messages, blocks and parts are walked (`messages`, `input`, `contents`, `system`,
 * `systemInstruction`, and a block's `content`, `parts` or `output`): never the text in them,
 * nor tool schemas or arguments, so that a request without media costs a look at each block's type.
 */
export function findMedia(json: unknown): MediaItem[] {
  if (!isObj(json)) return [];
  const seen = found.get(json);
  if (seen) return seen;
  const out: MediaItem[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (Array.isArray(v)) {
      if (depth < MAX_DEPTH) for (const x of v) visit(x, depth + 1);
      return;
    }
    if (!isObj(v)) return;
    const m = mediaItem(v);
    if (m) {
      out.push(m);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    for (const k of ['content', 'parts', 'output'] as const) if (Array.isArray(v[k])) visit(v[k], depth + 1);
    if (v.type === 'document' && isObj(v.source) && Array.isArray(v.source.content)) visit(v.source.content, depth + 1);
  };
  for (const k of ['messages', 'input', 'contents', 'system', 'systemInstruction', 'system_instruction'] as const) visit(json[k], 0);
  found.set(json, out);
  return out;
}
