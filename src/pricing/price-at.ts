import type { ConditionalPrice, ModelInfo, ModelPrice } from '@pydantic/genai-prices';

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
