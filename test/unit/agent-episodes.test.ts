import { deriveEpisodes, episodeDurations, type EpisodeEvent } from '../../src/services/analytics/agents/agent-episodes';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
/** `seconds` after T0. */
const at = (seconds: number) => new Date(T0 + seconds * 1000);

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';

// The events as the runtime writes them (see conversation-actions.service, bot-runtime.service).
const opened = (s: number): EpisodeEvent => ({ type: 'CONVERSATION_OPENED', at: at(s) });
const inbound = (s: number): EpisodeEvent => ({ type: 'MESSAGE_RECEIVED', at: at(s) });
const botMessage = (s: number): EpisodeEvent => ({ type: 'MESSAGE_SENT', at: at(s), author: 'BOT' });
const agentMessage = (s: number, userId: string): EpisodeEvent => ({ type: 'MESSAGE_SENT', at: at(s), author: 'AGENT', userId });
const apiMessage = (s: number): EpisodeEvent => ({ type: 'MESSAGE_SENT', at: at(s), author: 'API' });
const bot = (s: number, botType: string): EpisodeEvent => ({ type: 'BOT', at: at(s), botType });
const status = (s: number, to: string, by: string): EpisodeEvent => ({ type: 'STATUS_CHANGED', at: at(s), status: to, by });
const assigned = (s: number, userId: string | null, to: string, by = ALICE): EpisodeEvent => ({ type: 'ASSIGNED', at: at(s), userId, status: to, by });

/** The fields a report reads, for compact expectations. */
const summary = (events: EpisodeEvent[]) =>
  deriveEpisodes(events).map((episode) => ({
    seq: episode.seq,
    startedBy: episode.startedBy,
    waitingSince: episode.waitingSince.toISOString(),
    agentId: episode.agentId,
    firstResponseAt: episode.firstResponseAt?.toISOString() ?? null,
    resolvedAt: episode.resolvedAt?.toISOString() ?? null,
    endedAt: episode.endedAt?.toISOString() ?? null,
    endReason: episode.endReason,
    agentMessages: episode.agentMessages,
  }));

describe('deriveEpisodes', () => {
  it('a customer writing with no bot starts an episode; the first agent message answers it; closing resolves it', () => {
    const episodes = deriveEpisodes([opened(0), inbound(0), assigned(120, ALICE, 'WITH_AGENT'), agentMessage(300, ALICE), agentMessage(400, ALICE), status(900, 'CLOSED', ALICE)]);
    expect(episodes).toHaveLength(1);
    const [episode] = episodes;
    expect(episode).toMatchObject({ seq: 1, startedBy: 'INBOUND', waitingSince: at(0), agentId: ALICE, firstResponseAt: at(300), firstResponseBy: ALICE });
    expect(episode).toMatchObject({ resolvedAt: at(900), endedAt: at(900), endReason: 'CLOSED', agentMessages: 2 });
    expect(episodeDurations(episode!)).toEqual({ firstResponseSeconds: 300, resolutionSeconds: 900 });
  });

  it('a message the bot answers in the same turn starts nothing; the bot handing off later does', () => {
    const events = [
      opened(0), inbound(0), botMessage(0), bot(0, 'node_entered'), bot(0, 'variable_set'), status(0, 'BOT', 'bot'),
      inbound(60), bot(60, 'node_entered'), bot(60, 'handoff'), status(60, 'WAITING_AGENT', 'bot'),
      inbound(200),
      agentMessage(260, BOB),
    ];
    expect(summary(events)).toEqual([
      { seq: 1, startedBy: 'HANDOFF', waitingSince: at(60).toISOString(), agentId: BOB, firstResponseAt: at(260).toISOString(), resolvedAt: null, endedAt: null, endReason: null, agentMessages: 1 },
    ]);
  });

  it('a flow that runs to its end in the first turn closes the conversation without an episode', () => {
    expect(deriveEpisodes([opened(0), inbound(0), botMessage(0), bot(0, 'node_entered'), bot(0, 'ended'), status(0, 'CLOSED', 'bot')])).toEqual([]);
  });

  it('a session that merely expired does not answer the message: the customer waits for a person', () => {
    const episodes = deriveEpisodes([opened(0), inbound(0), status(10, 'CLOSED', ALICE), inbound(5000), bot(5000, 'expired')]);
    expect(episodes.map((e) => [e.startedBy, e.waitingSince])).toEqual([
      ['INBOUND', at(0)],
      ['INBOUND', at(5000)],
    ]);
  });

  it('handoffToAgent from the bot starts an episode; returnToBot ends it unresolved and unassigns', () => {
    const events = [
      opened(0), inbound(0), bot(0, 'node_entered'), status(0, 'BOT', 'bot'),
      status(100, 'WAITING_AGENT', ALICE),
      assigned(150, ALICE, 'WITH_AGENT'),
      status(500, 'BOT', ALICE),
      status(800, 'WAITING_AGENT', BOB),
      agentMessage(1000, BOB),
      status(1200, 'CLOSED', BOB),
    ];
    expect(summary(events)).toEqual([
      { seq: 1, startedBy: 'HANDOFF', waitingSince: at(100).toISOString(), agentId: ALICE, firstResponseAt: null, resolvedAt: null, endedAt: at(500).toISOString(), endReason: 'BOT', agentMessages: 0 },
      // Alice was unassigned by returnToBot: Bob, who answered, handled the second one.
      { seq: 2, startedBy: 'HANDOFF', waitingSince: at(800).toISOString(), agentId: BOB, firstResponseAt: at(1000).toISOString(), resolvedAt: at(1200).toISOString(), endedAt: at(1200).toISOString(), endReason: 'CLOSED', agentMessages: 1 },
    ]);
  });

  it('assigning a conversation the bot has takes it from the bot: an episode starts with its assignee', () => {
    const [episode] = deriveEpisodes([opened(0), inbound(0), bot(0, 'node_entered'), status(0, 'BOT', 'bot'), assigned(50, BOB, 'WITH_AGENT', ALICE)]);
    expect(episode).toMatchObject({ startedBy: 'ASSIGNED', waitingSince: at(50), agentId: BOB });
  });

  it('the agent is the last assignee (reassigned: the new one; unassigned: still the last), else the first to answer', () => {
    const reassigned = deriveEpisodes([opened(0), inbound(0), assigned(10, ALICE, 'WITH_AGENT'), agentMessage(20, ALICE), assigned(30, BOB, 'WITH_AGENT'), agentMessage(40, BOB)]);
    expect(reassigned[0]).toMatchObject({ agentId: BOB, firstResponseBy: ALICE, firstResponseAt: at(20), agentMessages: 2 });
    expect([...reassigned[0]!.messagesByAuthor]).toEqual([
      [ALICE, 1],
      [BOB, 1],
    ]);

    const unassigned = deriveEpisodes([opened(0), inbound(0), assigned(10, ALICE, 'WITH_AGENT'), assigned(30, null, 'WAITING_AGENT')]);
    expect(unassigned[0]).toMatchObject({ agentId: ALICE, firstResponseAt: null });

    const answeredOnly = deriveEpisodes([opened(0), inbound(0), agentMessage(90, BOB), agentMessage(95, ALICE)]);
    expect(answeredOnly[0]).toMatchObject({ agentId: BOB, firstResponseBy: BOB, agentMessages: 2 });
  });

  it('the customer writing to a closed conversation starts a new episode, for the agent still assigned', () => {
    const events = [opened(0), inbound(0), assigned(10, ALICE, 'WITH_AGENT'), agentMessage(20, ALICE), status(30, 'CLOSED', ALICE), inbound(1000), agentMessage(1100, ALICE)];
    expect(summary(events).map((e) => [e.seq, e.startedBy, e.waitingSince, e.agentId, e.firstResponseAt, e.endReason])).toEqual([
      [1, 'INBOUND', at(0).toISOString(), ALICE, at(20).toISOString(), 'CLOSED'],
      [2, 'INBOUND', at(1000).toISOString(), ALICE, at(1100).toISOString(), null],
    ]);
  });

  it('a reopen logged as a status change by the customer waits for the message: the bot may answer it', () => {
    const answeredByBot = [opened(0), inbound(0), status(5, 'CLOSED', ALICE), status(900, 'WAITING_AGENT', 'customer'), inbound(900), bot(900, 'node_entered'), status(900, 'BOT', 'bot')];
    expect(deriveEpisodes(answeredByBot).map((e) => e.waitingSince)).toEqual([at(0)]);
    const noBot = [opened(0), inbound(0), status(5, 'CLOSED', ALICE), status(900, 'WAITING_AGENT', 'customer'), inbound(900)];
    expect(deriveEpisodes(noBot).map((e) => [e.startedBy, e.waitingSince])).toEqual([
      ['INBOUND', at(0)],
      ['INBOUND', at(900)],
    ]);
  });

  it('reopenConversation starts a REOPENED episode; assigning a closed conversation starts nothing', () => {
    const events = [opened(0), inbound(0), status(10, 'CLOSED', ALICE), assigned(20, BOB, 'CLOSED'), status(40, 'WITH_AGENT', ALICE)];
    expect(summary(events).map((e) => [e.startedBy, e.waitingSince, e.agentId])).toEqual([
      ['INBOUND', at(0).toISOString(), null],
      ['REOPENED', at(40).toISOString(), BOB],
    ]);
  });

  it('counts only agent messages inside an episode: API and bot messages, and messages after closing, are not answers', () => {
    const [episode] = deriveEpisodes([opened(0), inbound(0), apiMessage(5), botMessage(6), agentMessage(50, ALICE), status(60, 'CLOSED', ALICE), agentMessage(70, ALICE)]);
    expect(episode).toMatchObject({ firstResponseAt: at(50), agentMessages: 1, resolvedAt: at(60) });
  });

  it('records when the same agent (and any agent) last had an episode in the conversation', () => {
    const events = [
      opened(0), inbound(0), assigned(1, ALICE, 'WITH_AGENT'), status(2, 'CLOSED', ALICE),
      inbound(100), status(101, 'BOT', ALICE),
      status(200, 'WAITING_AGENT', BOB), assigned(201, BOB, 'WITH_AGENT', BOB), status(202, 'CLOSED', BOB),
      inbound(300), assigned(301, ALICE, 'WITH_AGENT'),
    ];
    const episodes = deriveEpisodes(events);
    expect(episodes.map((e) => [e.agentId, e.previousSameAgentAt, e.previousAttributedAt])).toEqual([
      [ALICE, null, null],
      [ALICE, at(0), at(0)],
      [BOB, null, at(100)],
      [ALICE, at(100), at(200)],
    ]);
  });

  it('has no episode for a conversation only the bot and the API ever handled, and none for an empty log', () => {
    expect(deriveEpisodes([])).toEqual([]);
    expect(deriveEpisodes([opened(0), apiMessage(0), inbound(30), botMessage(30), bot(30, 'node_entered'), status(30, 'BOT', 'bot'), inbound(90), bot(90, 'retried')])).toEqual([]);
  });
});
