import { type PathMatch, type RouteLookup, type RouteSpec, lookupIn } from '../shared/routes.js';

const MODEL_PATH = /^\/v1beta\/models\/([^/]+):(generateContent|streamGenerateContent)$/;

/** The model (URL-decoded) when the path is `/v1beta/models/{model}:{method}`. */
function modelPath(method: string, streamByPath: boolean): (pathname: string) => PathMatch | undefined {
  return (pathname) => {
    const m = MODEL_PATH.exec(pathname);
    if (m === null || m[2] !== method || m[1] === undefined) return undefined;
    const model = decode(m[1]);
    return model === undefined || model === '' ? undefined : { model, streamByPath };
  };
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export const GEMINI_ROUTES: readonly RouteSpec[] = [
  { api: 'gemini.generate', method: 'POST', path: modelPath('generateContent', false) },
  { api: 'gemini.generate', method: 'POST', path: modelPath('streamGenerateContent', true) },
];

export function lookupGeminiRoute(method: string, pathname: string): RouteLookup {
  return lookupIn('gemini', GEMINI_ROUTES, method, pathname);
}
