import { describe, expect, it } from 'vitest';
import { type RequestFacts, newFacts } from '../../metering/build-row.js';
import { SocketTurns } from './turns.js';

const usage = { input_tokens: 1500, input_tokens_details: { cached_tokens: 1024 }, output_tokens: 60, output_tokens_details: { reasoning_tokens: 20 }, total_tokens: 1560 };
const event = (type: string, rest: Record<string, unknown> = {}) => JSON.stringify({ type, sequence_number: 0, ...rest });
const created = (id: string) => event('response.created', { response: { id, model: 'gpt-5-2025-08-07', status: 'in_progress', usage: null } });
const completed = (id: string) => event('response.completed', { response: { id, model: 'gpt-5-2025-08-07', status: 'completed', output: [], usage } });

function turn(finished: RequestFacts[], estimate?: number) {
  const facts = newFacts(`req-${finished.length}-${Math.random()}`, Date.now(), 'openai.responses');
  facts.status = 200;
  return { facts, info: { stream: true }, started: performance.now(), inputEstimate: () => estimate, finish: () => void finished.push(facts) };
}

describe('SocketTurns', () => {
  it('meters each response from its own events, in the order they were created', () => {
    const done: RequestFacts[] = [];
    const t = new SocketTurns();
    t.begin(turn(done));
    t.begin(turn(done));
    for (const e of [created('resp_a'), event('response.output_text.delta', { delta: 'Hi' }), completed('resp_a')]) t.event(e);
    expect(done).toHaveLength(1);
    t.event(created('resp_b'));
    t.event(completed('resp_b'));
    expect(done.map((f) => [f.responseId, f.outcome, f.usageSource, f.usage.inputTokens, f.usage.cacheReadTokens, f.usage.outputTokens, f.servedModel])).toEqual([
      ['resp_a', 'ok', 'final', 1500, 1024, 60, 'gpt-5-2025-08-07'],
      ['resp_b', 'ok', 'final', 1500, 1024, 60, 'gpt-5-2025-08-07'],
    ]);
    expect(done[0]!.ttftMs).not.toBeNull();
    expect(t.size).toBe(0);
  });

  it('an error event ends the response with its status and type', () => {
    const done: RequestFacts[] = [];
    const t = new SocketTurns();
    t.begin(turn(done));
    t.event(JSON.stringify({ type: 'error', status: 400, error: { type: 'invalid_request_error', code: 'previous_response_not_found', message: 'Previous response not found.' } }));
    expect(done[0]).toMatchObject({ status: 400, outcome: 'upstream_error', errorType: 'invalid_request_error' });
  });

  it('an error event about another message leaves the response in progress running, and a refused create gets its own row', () => {
    const done: RequestFacts[] = [];
    const t = new SocketTurns();
    t.begin(turn(done));
    t.event(created('resp_a'));
    // A message of a type the upstream does not know, answered while resp_a runs.
    t.event(JSON.stringify({ type: 'error', status: 400, error: { type: 'invalid_request_error', code: 'unknown_event', message: 'Unknown event.' } }));
    expect(done).toHaveLength(0);
    // A second response.create, refused while resp_a runs.
    t.begin(turn(done));
    t.event(JSON.stringify({ type: 'error', status: 409, error: { type: 'invalid_request_error', code: 'conversation_already_has_active_response', message: 'Busy.' } }));
    expect(done.map((f) => [f.status, f.outcome, f.usage.inputTokens])).toEqual([[409, 'upstream_error', 0]]);
    t.event(completed('resp_a'));
    expect(done.map((f) => [f.responseId, f.status, f.outcome, f.usage.inputTokens])).toEqual([
      [null, 409, 'upstream_error', 0],
      ['resp_a', 200, 'ok', 1500],
    ]);
  });

  it('a failed response is an upstream error with the usage it reported', () => {
    const done: RequestFacts[] = [];
    const t = new SocketTurns();
    t.begin(turn(done));
    t.event(event('response.failed', { response: { id: 'resp_f', status: 'failed', error: { code: 'server_error', message: 'boom' }, usage } }));
    expect(done[0]).toMatchObject({ outcome: 'upstream_error', errorType: 'server_error', usageSource: 'final' });
    expect(done[0]!.usage.outputTokens).toBe(60);
  });

  it('a connection that ends records every open response as cut, with the input estimated when no usage came', () => {
    const done: RequestFacts[] = [];
    const t = new SocketTurns();
    t.begin(turn(done, 900));
    t.begin(turn(done, 300));
    t.event(created('resp_a'));
    t.closeAll(true);
    expect(done.map((f) => [f.outcome, f.errorType, f.usageSource, f.usage.inputTokens])).toEqual([
      ['client_aborted', 'client_disconnected', 'estimated', 900],
      ['client_aborted', 'client_disconnected', 'estimated', 300],
    ]);
    expect(done[0]!.responseId).toBe('resp_a');
    const cut: RequestFacts[] = [];
    const u = new SocketTurns();
    u.begin(turn(cut, 50));
    u.closeAll(false);
    expect(cut[0]).toMatchObject({ outcome: 'truncated', errorType: 'upstream_disconnected' });
  });

  it('events with no response open are passed over', () => {
    const t = new SocketTurns();
    expect(() => t.event(completed('resp_x'))).not.toThrow();
    expect(t.size).toBe(0);
  });
});
