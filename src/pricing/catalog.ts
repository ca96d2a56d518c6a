import { type ConditionalPrice, type ModelInfo, type ModelPrice, calcPrice, findProvider } from '@pydantic/genai-prices';
import { isAnchoredMatch } from './anchored-match.js';

/** The catalog's provider id for an upstream: named explicitly, or recognised from its URL. Undefined for local servers. */
export function catalogProviderFor(baseUrl: string, explicit: string | undefined): string | undefined {
  if (explicit) return explicit;
  try {
    return findProvider({ providerApiUrl: baseUrl })?.id;
  } catch {
    return undefined;
  }
}

const models = new Map<string, ModelInfo | null>();

/**
 * The catalog entry for a model, only if the catalog matched it by an exact rule.
 * Cached: the catalog's own lookup costs tens of microseconds.
 */
export function catalogModel(provider: string, model: string): ModelInfo | undefined {
  const key = `${provider}\u0000${model}`;
  let hit = models.get(key);
  if (hit === undefined) {
    const found = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId: provider });
    hit = found && isAnchoredMatch(found.model.match, model) ? found.model : null;
    if (models.size > 10_000) models.clear();
    models.set(key, hit);
  }
  return hit ?? undefined;
}

/** The model's price in effect at `at` (start-date and time-of-day constraints, latest applicable wins). */
export function priceAt(info: ModelInfo, at: Date): ModelPrice {
  if (!Array.isArray(info.prices)) return info.prices;
  const list: ConditionalPrice[] = info.prices;
  for (let i = list.length - 1; i >= 0; i--) {
    const c = list[i]!.constraint;
    if (c === undefined) return list[i]!.prices;
    if (c.type === 'start_date' && at >= new Date(c.start_date)) return list[i]!.prices;
    if (c.type === 'time_of_date' && inDailyWindow(at, c.start_time, c.end_time)) return list[i]!.prices;
  }
  return list[0]!.prices;
}

function inDailyWindow(at: Date, start: string, end: string): boolean {
  const sec = (t: string) => {
    const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(t);
    if (!m) return NaN;
    const offset = m[4] === 'Z' ? 0 : (m[5] === '+' ? 1 : -1) * (Number(m[6]) * 3600 + Number(m[7]) * 60);
    return (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) - offset + 86400) % 86400;
  };
  const now = at.getUTCHours() * 3600 + at.getUTCMinutes() * 60 + at.getUTCSeconds();
  const [s, e] = [sec(start), sec(end)];
  return e < s ? now >= s || now < e : now >= s && now < e;
}
