import type { Api } from '../../core/api.js';
import { RESPONSES_REQUEST_APIS, responsesTools } from '../../providers/openai/request-tools.js';
import { type JsonObject, asArray, asObject, asText } from '../../providers/shared/json.js';
import type { RouteMatch } from '../../providers/types.js';

const ANTHROPIC_SKILL_APIS: ReadonlySet<Api> = new Set<Api>(['anthropic.skills', 'anthropic.skill_versions', 'anthropic.skill_content']);

/**
 * The custom skills a request loads, by id: Anthropic's `container: {skills: [{type, skill_id}]}`
 * (in `/v1/messages`, `count_tokens` and a Message Batch's requests), whose `type: "anthropic"`
 * skills (`pptx`, `xlsx`) are Anthropic's own, every account's, and left alone; a Responses shell
 * tool (among its tools and those its input items add) whose `environment` is a `container_auto`
 * with `skills: [{type: "skill_reference", skill_id}]` (an inline skill names none); and the same
 * `skills` of a container's creation (`POST /v1/containers`). Any type other than `anthropic` is
 * taken as a custom skill: one the provider may add later is checked rather than let through.
 */
export function namedSkills(api: Api, json: unknown): string[] {
  const body = asObject(json);
  if (body === undefined) return [];
  const found = new Set<string>();
  if (api === 'anthropic.messages' || api === 'anthropic.count_tokens') containerSkills(body, found);
  else if (api === 'anthropic.batches') for (const r of asArray(body.requests) ?? []) containerSkills(asObject(asObject(r)?.params), found);
  else if (api === 'openai.containers') skillReferences(body.skills, found);
  else if (RESPONSES_REQUEST_APIS.has(api)) {
    for (const tool of responsesTools(body)) {
      const env = asObject(tool.environment);
      if (tool.type === 'shell' && env?.type === 'container_auto') skillReferences(env.skills, found);
    }
  }
  return [...found];
}

/** OpenAI's `skills: [{type: "skill_reference", skill_id}]` (a shell tool's container, a container's creation); an inline skill names none. */
function skillReferences(list: unknown, found: Set<string>): void {
  for (const s of asArray(list) ?? []) {
    const skill = asObject(s);
    const id = skill?.type === 'skill_reference' ? asText(skill.skill_id) : undefined;
    if (id !== undefined) found.add(id);
  }
}

function containerSkills(params: JsonObject | undefined, found: Set<string>): void {
  for (const s of asArray(asObject(params?.container)?.skills) ?? []) {
    const skill = asObject(s);
    const id = skill === undefined || skill.type === 'anthropic' ? undefined : asText(skill.skill_id);
    if (id !== undefined) found.add(id);
  }
}

/**
 * A skill in an Anthropic list that Anthropic made (`source: "anthropic"` or `"anthropic_example"`,
 * or `{type: …}` as the SDK's types give it): every account's, shown to every key.
 */
export function madeByAnthropic(skill: JsonObject): boolean {
  const source = asText(skill.source) ?? asText(asObject(skill.source)?.type);
  return source === 'anthropic' || source === 'anthropic_example';
}

/** How Anthropic names its own skills (`pptx`, `xlsx`): lowercase letters, digits and hyphens, where an account's are `skill_01…`. */
const ANTHROPIC_NAME = /^[a-z][a-z0-9-]{0,63}$/;

/**
 * A read of one of Anthropic's own skills by its name (`GET /v1/skills/pptx`, its versions and
 * contents): every key may read them. Any other method (a delete, a new version) is checked as a
 * custom skill's, which Anthropic refuses for its own anyway; so is a read of an id of any other
 * shape, should the ids of an account's skills change (they have capitals and an underscore).
 */
export function readsAnthropicSkill(route: RouteMatch): boolean {
  return route.method === 'GET' && ANTHROPIC_SKILL_APIS.has(route.api) && route.resourceId !== undefined && ANTHROPIC_NAME.test(route.resourceId);
}
