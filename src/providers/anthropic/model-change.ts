import { MIN_THINKING_BUDGET } from './output-cap.js';

type Effort = 'low' | 'medium' | 'high' | 'xhigh' | 'max';

/**
 * What a Claude model takes of the thinking and effort settings, where a source says so; a field
 * left out is not known, and what a body sends for it is left as sent. Sources: Claude Code
 * 2.1.197's model checks (which models it sends adaptive thinking, an effort, `xhigh` and `max`
 * to), Anthropic's extended-thinking page ("Claude 4.7 and later models do not support [manual
 * thinking] and reject requests that use it, returning a 400 error") and effort page (the models
 * that take an effort, and those that take `xhigh` and `max`). See docs/budgets.md.
 */
interface Takes {
  /** `thinking: {type: "adaptive"}`. */
  adaptive?: boolean;
  /** `thinking: {type: "enabled", budget_tokens}`. */
  manual?: boolean;
  /** `output_config.effort`: the levels taken, none when it takes no effort. */
  effort?: readonly Effort[];
}

const TO_HIGH: readonly Effort[] = ['low', 'medium', 'high'];
const TO_MAX: readonly Effort[] = [...TO_HIGH, 'max'];
const ALL: readonly Effort[] = [...TO_HIGH, 'xhigh', 'max'];

/** A Claude model's family and version, as its id (dated, or a cloud's spelling of it) says: claude-opus-4-6 is opus 46. */
function versionOf(model: string): { family: string; version: number } | undefined {
  const m = /claude-(opus|sonnet|haiku|fable|mythos)-(\d+)(?:-(\d)(?!\d))?/.exec(model.toLowerCase());
  if (m === null) return undefined;
  return { family: m[1]!, version: Number(m[2]) * 10 + Number(m[3] ?? 0) };
}

function takesOf(model: string): Takes {
  const id = model.toLowerCase();
  // Claude 3: thinking on 3.7 Sonnet alone (manual), no effort (Claude Code sends neither to any claude-3).
  if (/claude-3-7-sonnet/.test(id)) return { adaptive: false, manual: true, effort: [] };
  if (/claude-3-/.test(id)) return { adaptive: false, manual: false, effort: [] };
  if (id.includes('claude-mythos-preview')) return { adaptive: true, manual: false, effort: TO_MAX };
  const v = versionOf(id);
  if (v === undefined) return {};
  // 4.0, 4.1, 4.5: manual thinking only; of them Opus 4.5 alone takes an effort, and not xhigh or max.
  if (v.version < 46) return { adaptive: false, manual: true, effort: v.family === 'opus' && v.version === 45 ? TO_HIGH : [] };
  if (v.version === 46) return { adaptive: true, manual: true, effort: TO_MAX };
  // Every level on Opus 4.7 and 4.8 and the 5.0 models; later ones take an effort at levels no source lists.
  const all = (v.family === 'opus' && v.version < 50) || v.version === 50;
  return { adaptive: true, manual: false, ...(all ? { effort: ALL } : {}) };
}

/**
 * Keeps a Messages body valid for the model a policy, downgrade or route moved it to: the thinking
 * and effort the requested model takes, the new one may refuse with a 400. Adaptive thinking goes
 * to a model without it as a manual budget of the whole cap (as Claude Code sends it there), or off
 * where the cap leaves no room for the least budget; a manual budget to a model without it as
 * adaptive thinking; an effort the model does not take is dropped, a level it does not take is
 * lowered to `high` (as Claude Code does). `body` is a shallow copy, changed in place.
 */
export function fitToModel(body: Record<string, unknown>, model: string): void {
  const takes = takesOf(model);
  fitThinkingType(body, takes);
  fitEffort(body, takes);
}

function fitThinkingType(body: Record<string, unknown>, takes: Takes): void {
  const thinking = body.thinking;
  if (typeof thinking !== 'object' || thinking === null || Array.isArray(thinking)) return;
  const t = thinking as Record<string, unknown>;
  const display = 'display' in t ? { display: t.display } : {};
  if (t.type === 'adaptive' && takes.adaptive === false) {
    const cap = body.max_tokens;
    if (takes.manual === false) delete body.thinking;
    else body.thinking = typeof cap === 'number' && cap > MIN_THINKING_BUDGET ? { type: 'enabled', budget_tokens: cap - 1, ...display } : { type: 'disabled' };
  } else if (t.type === 'enabled' && takes.manual === false) {
    if (takes.adaptive === true) body.thinking = { type: 'adaptive', ...display };
    else delete body.thinking;
  }
}

function fitEffort(body: Record<string, unknown>, takes: Takes): void {
  const config = body.output_config;
  if (takes.effort === undefined || typeof config !== 'object' || config === null || Array.isArray(config)) return;
  const c = { ...(config as Record<string, unknown>) };
  if (typeof c.effort !== 'string' || takes.effort.includes(c.effort as Effort)) return;
  if (takes.effort.length > 0) {
    // A level above high the model does not take; an unknown one is the API's to judge.
    if (c.effort === 'xhigh' || c.effort === 'max') body.output_config = { ...c, effort: 'high' };
    return;
  }
  delete c.effort;
  if (Object.keys(c).length > 0) body.output_config = c;
  else delete body.output_config;
}
