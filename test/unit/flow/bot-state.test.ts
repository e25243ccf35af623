import { isSessionExpired, newBotState, sessionExpiresAt, type BotState } from '../../../src/domain/flow/bot-state';
import { NOW } from './flow-fixtures';

const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);
const state = (overrides: Partial<BotState> = {}): BotState => ({ ...newBotState('f', 1, NOW), ...overrides });

describe('newBotState', () => {
  it('starts active, at no node, with times from the caller', () => {
    expect(newBotState('flow-9', 3, NOW)).toEqual({
      flowId: 'flow-9',
      flowVersion: 3,
      currentNodeId: null,
      waitingFor: null,
      attempts: 0,
      variables: {},
      path: [],
      startedAt: NOW.toISOString(),
      lastActivityAt: NOW.toISOString(),
      status: 'active',
    });
  });
});

describe('session expiry', () => {
  it('comes sessionTtlMinutes after the last activity, 1440 by default', () => {
    expect(sessionExpiresAt(state(), {})).toEqual(minutes(1440));
    expect(sessionExpiresAt(state(), { sessionTtlMinutes: 30 })).toEqual(minutes(30));
  });

  it('an active session expires at its TTL, not a moment before', () => {
    expect(isSessionExpired(state(), { sessionTtlMinutes: 30 }, minutes(29.99))).toBe(false);
    expect(isSessionExpired(state(), { sessionTtlMinutes: 30 }, minutes(30))).toBe(true);
  });

  it('a session that is over never expires again', () => {
    expect(isSessionExpired(state({ status: 'ended' }), {}, minutes(10_000))).toBe(false);
    expect(isSessionExpired(state({ status: 'handed_off' }), {}, minutes(10_000))).toBe(false);
  });

  it('a corrupt lastActivityAt counts as expired rather than eternal', () => {
    expect(isSessionExpired(state({ lastActivityAt: 'yesterday' }), {}, NOW)).toBe(true);
  });
});
