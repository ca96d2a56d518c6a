export { startFakeUpstream } from './server.js';
export type {
  Arrival,
  ErrorSpec,
  FakeUpstream,
  RecordedRequest,
  RequestMatcher,
  RequestOutcome,
  Scenario,
  StartOptions,
  ToolCallSpec,
  UsageSpec,
  WaitOptions,
} from './types.js';
