import { advanceFlow, resumeAfterHttp, startFlow } from '../../../src/domain/flow/flow-engine';
import { SAMPLE_FLOW } from '../../../src/domain/flow/sample-flow';
import { validateOutboundContent } from '../../../src/domain/outbound-limits';
import { ctx, enteredNodes, reply, sentTexts, stored, text } from './flow-fixtures';
import { type BotState } from '../../../src/domain/flow/bot-state';
import { type InboundInput, type StepResult } from '../../../src/domain/flow/flow-run';

const flow = { id: 'sample', version: 1, definition: SAMPLE_FLOW };

/** Plays a conversation through the sample flow; every message it sends must pass the send pipeline's checks. */
function chat(...inputs: InboundInput[]): StepResult {
  let result = startFlow(flow, ctx(), text('menu'));
  for (const input of inputs) result = advanceFlow(flow, stored(result.state), input, ctx());
  return result;
}

function checkContents(result: StepResult): void {
  for (const output of result.outputs) if (output.kind === 'content') expect(() => validateOutboundContent(output.content)).not.toThrow();
}

describe('the sample flow', () => {
  it('greets with three buttons', () => {
    const result = startFlow(flow, ctx());
    expect(sentTexts(result)).toEqual(['Hi Ana! How can we help?']);
    checkContents(result);
  });

  it('sales: a big team is routed to vip, gets the template and an agent', () => {
    const result = chat(reply('sales', 'Sales'), text('Bo'), text('BO@Example.com'), text('120'));
    expect(enteredNodes(result)).toEqual(['route', 'vip', 'vip_template', 'agent']);
    expect(result.outputs[0]).toEqual({ kind: 'template', nodeId: 'vip_template', name: 'welcome_back', language: 'en', parameters: { body: ['Bo'] } });
    expect(result.state.variables).toMatchObject({ name: 'Bo', email: 'bo@example.com', team_size: 120, tier: 'vip' });
    expect(result.handoff).toBe(true);
  });

  it('sales: a small team gets the media message and the goodbye', () => {
    const result = chat(text('sales'), text('Bo'), text('bo@example.com'), text('3'));
    expect(enteredNodes(result)).toEqual(['route', 'thanks', 'goodbye']);
    expect(sentTexts(result)).toEqual(['Thanks Bo, here is our product tour.', 'Thanks, we will write to bo@example.com soon.']);
    checkContents(result);
    expect(result.ended).toBe(true);
  });

  it('support: billing asks for the plan, then offers the menu again, which jumps back to the start', () => {
    const plan = chat(reply('support', 'Support'), reply('billing', 'Plans and billing'), text('pro'));
    expect(sentTexts(plan)).toEqual(['The Pro plan is billed monthly; you can change it at any time.', 'Anything else?']);
    const again = advanceFlow(flow, stored(plan.state), reply('menu', 'Main menu'), ctx());
    expect(enteredNodes(again)).toEqual(['back_to_menu', 'welcome']);
  });

  it('support: a callback number is saved in E.164 digits', () => {
    const result = chat(text('support'), text('call me back'), text('+1 (415) 555-0100'));
    expect(sentTexts(result)).toEqual(['We will call you at +14155550100 within a working day.', 'Thanks for chatting with us. Type menu to start again.']);
  });

  it('support: a ticket number must match the pattern', () => {
    const wrong = chat(text('support'), reply('ticket', 'An existing ticket'), text('12345'));
    expect(sentTexts(wrong)).toEqual(['A ticket number is three letters, a dash and four digits, like ABC-1234']);
    const right = advanceFlow(flow, stored(wrong.state), text('abc-1234'), ctx());
    expect(sentTexts(right)).toEqual(['Thanks, an agent will pick up ticket abc-1234.', 'Connecting you to a person...']);
  });

  it('orders: looks the order up over HTTP and reports its status, or hands off when that fails', () => {
    const waiting = chat(reply('orders', 'Order status'), text('123456'));
    expect(waiting.outputs).toEqual([
      { kind: 'http', nodeId: 'lookup_order', request: expect.objectContaining({ method: 'GET', url: 'https://orders.demo.invalid/orders/123456' }) },
    ]);
    const state: BotState = stored(waiting.state);
    const found = resumeAfterHttp(flow, state, { ok: true, status: 200, body: { status: 'shipped' } }, ctx());
    expect(sentTexts(found)).toEqual(['Order 123456 is shipped.', 'Anything else?']);
    const failed = resumeAfterHttp(flow, state, { ok: false, error: 'ENOTFOUND' }, ctx());
    expect(sentTexts(failed)).toEqual(['Sorry, we could not look up order 123456 right now.', 'Connecting you to a person...']);
  });
});
