import type { FlowDefinition } from '../../src/domain/flow/flow-definition';

/**
 * The benchmark organization's 20 flows (DESIGN.md section 11): a main menu that jumps to the
 * others, and 19 flows made from five shapes businesses really run (lead capture, support triage,
 * order status, feedback survey, appointment booking), each with its own keyword and session
 * lifetime. Some get a second published version, so reports see sessions on both.
 */

export interface BenchTemplate {
  name: string;
  language: string;
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
  body: string;
  example?: string[];
  /** Meta's fixed shape of AUTHENTICATION templates instead of a BODY text. */
  components?: unknown[];
}

/** Templates the flows' template nodes send, plus those of campaigns (API) and agents' follow-ups. */
export const TEMPLATES: BenchTemplate[] = [
  { name: 'sales_followup', language: 'en', category: 'MARKETING', body: 'Thanks for your interest! A specialist will reach out today.' },
  { name: 'order_update', language: 'en', category: 'UTILITY', body: 'Your order {{1}} is on its way.', example: ['123456'] },
  { name: 'appointment_confirmation', language: 'en', category: 'UTILITY', body: 'Your appointment is confirmed. Reply CHANGE to reschedule.' },
  { name: 'weekend_promo', language: 'en', category: 'MARKETING', body: 'This weekend only: 20% off everything. Reply MENU to see more.' },
  { name: 'new_collection', language: 'en', category: 'MARKETING', body: 'Our new collection is here. Reply MENU to browse.' },
  {
    name: 'login_code', language: 'en', category: 'AUTHENTICATION', body: '',
    components: [
      { type: 'BODY', add_security_recommendation: true },
      { type: 'FOOTER', code_expiration_minutes: 10 },
      { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
    ],
  },
  { name: 'agent_followup', language: 'en', category: 'UTILITY', body: 'Following up on your request: is there anything else we can help with?' },
];

export const CAMPAIGN_TEMPLATES = ['weekend_promo', 'new_collection'];
export const AUTH_TEMPLATE = 'login_code';
export const AGENT_TEMPLATE = 'agent_followup';

export type FlowShape = 'menu' | 'lead' | 'support' | 'order' | 'feedback' | 'booking';

export interface BenchFlowSpec {
  index: number;
  name: string;
  shape: FlowShape;
  keyword: string;
  ttlMinutes: number;
  /** Definitions of the published versions, in order (version 1 first). */
  versions: FlowDefinition[];
}

const TTLS = [1440, 240, 60, 720];

function lead(variant: number, keyword: string, ttl: number, version: number): FlowDefinition {
  const threshold = version === 1 ? 50 : 20;
  return {
    start: 'welcome',
    sessionTtlMinutes: ttl,
    triggers: { keywords: [keyword] },
    nodes: [
      {
        id: 'welcome', type: 'message', text: `Hi {{contact.name}}! Welcome to our store (${variant}). How can we help?`,
        buttons: [{ id: 'sales', title: 'Buy something', next: 'ask_name' }, { id: 'pricing', title: 'Pricing', next: 'pricing' }, { id: 'human', title: 'Talk to us', next: 'agent' }],
        retryText: 'Please tap one of the buttons', maxAttempts: 3, onInvalid: 'agent',
      },
      { id: 'ask_name', type: 'question', text: 'Great! What is your name?', validate: { kind: 'text', min: 2, max: 60 }, saveAs: 'name', retryText: 'Please type your name (2 to 60 characters)', next: 'ask_email' },
      {
        id: 'ask_email', type: 'question', text: 'Thanks {{name}}. What is your email?', validate: { kind: 'email' }, saveAs: 'email',
        retryText: 'That does not look like an email, try again', maxAttempts: 3, next: version === 1 ? 'ask_size' : 'ask_budget', onInvalid: 'agent',
      },
      ...(version === 1
        ? [{ id: 'ask_size', type: 'question' as const, text: 'How many people on your team?', validate: { kind: 'number' as const, min: 1, max: 100000 }, saveAs: 'size', retryText: 'Please answer with a number, like 12', next: 'route' }]
        : [{ id: 'ask_budget', type: 'question' as const, text: 'What is your monthly budget in USD?', validate: { kind: 'number' as const, min: 0, max: 1000000 }, saveAs: 'size', retryText: 'A number please, like 500', maxAttempts: 2, next: 'route', onInvalid: 'thanks' }]),
      { id: 'route', type: 'condition', branches: [{ when: { var: 'size', op: '>=', value: threshold }, next: 'vip' }], else: 'thanks' },
      { id: 'vip', type: 'set', var: 'tier', value: 'vip', next: 'vip_template' },
      { id: 'vip_template', type: 'template', template: 'sales_followup', language: 'en', next: 'agent' },
      { id: 'thanks', type: 'message', text: 'Thanks {{name}}!', media: { kind: 'image', link: 'https://www.example.com/tour.png', caption: 'Our product tour' }, next: 'goodbye' },
      { id: 'goodbye', type: 'end', text: 'We will write to {{email}} soon.' },
      { id: 'pricing', type: 'message', text: 'Plans start at $9 a month. Details: https://www.example.com/pricing', next: 'menu_again' },
      {
        id: 'menu_again', type: 'message', text: 'Anything else?',
        buttons: [{ id: 'menu', title: 'Main menu', next: 'back' }, { id: 'done', title: 'No, thanks', next: 'bye' }], retryText: 'Please tap a button', onInvalid: 'bye',
      },
      { id: 'back', type: 'jump', to: 'welcome' },
      { id: 'bye', type: 'end', text: 'Thanks for chatting with us.' },
      { id: 'agent', type: 'handoff', text: 'Connecting you to a person...' },
    ],
  };
}

function support(variant: number, keyword: string, ttl: number, version: number): FlowDefinition {
  return {
    start: 'support_menu',
    sessionTtlMinutes: ttl,
    triggers: { keywords: [keyword] },
    nodes: [
      {
        id: 'support_menu', type: 'message', text: `Support desk ${variant}: what do you need help with?`,
        list: {
          button: 'Topics',
          sections: [
            { title: 'Account', rows: [{ id: 'billing', title: 'Plans and billing', next: 'ask_plan' }, { id: 'callback', title: 'Call me back', next: 'ask_phone' }] },
            { title: 'Technical', rows: [{ id: 'ticket', title: 'An existing ticket', next: 'ask_ticket' }, { id: 'other', title: 'Something else', next: 'agent' }] },
          ],
        },
        retryText: 'Please pick a topic from the list', maxAttempts: version === 1 ? 3 : 2, onInvalid: 'agent',
      },
      {
        id: 'ask_plan', type: 'question', text: 'Which plan are you on: Basic, Pro or Enterprise?', validate: { kind: 'choice', options: ['Basic', 'Pro', 'Enterprise'] },
        saveAs: 'plan', retryText: 'Please answer Basic, Pro or Enterprise', next: 'plan_route', onInvalid: 'agent',
      },
      { id: 'plan_route', type: 'condition', branches: [{ when: { var: 'plan', op: '==', value: 'Enterprise' }, next: 'agent' }], else: 'plan_info' },
      { id: 'plan_info', type: 'message', text: 'The {{plan}} plan is billed monthly; change it any time.', next: 'menu_again' },
      { id: 'ask_phone', type: 'question', text: 'Which number should we call? Include the country code.', validate: { kind: 'phone' }, saveAs: 'phone', retryText: 'A phone number with its country code, please', next: 'phone_noted' },
      { id: 'phone_noted', type: 'message', text: 'We will call +{{phone}} within a working day.', next: 'bye' },
      {
        id: 'ask_ticket', type: 'question', text: 'What is your ticket number? It looks like ABC-1234.', validate: { kind: 'regex', pattern: '^[A-Za-z]{3}-\\d{4}$' },
        saveAs: 'ticket', retryText: 'Three letters, a dash and four digits, like ABC-1234', next: 'ticket_noted', onInvalid: 'agent',
      },
      { id: 'ticket_noted', type: 'message', text: 'Thanks, an agent will pick up ticket {{ticket}}.', next: 'agent' },
      {
        id: 'menu_again', type: 'message', text: 'Anything else?',
        buttons: [{ id: 'menu', title: 'Main menu', next: 'back' }, { id: 'done', title: 'No, thanks', next: 'bye' }], retryText: 'Please tap a button', onInvalid: 'bye',
      },
      { id: 'back', type: 'jump', to: 'support_menu' },
      { id: 'bye', type: 'end', text: 'Glad we could help.' },
      { id: 'agent', type: 'handoff', text: 'An agent will be with you shortly.' },
    ],
  };
}

function order(variant: number, keyword: string, ttl: number): FlowDefinition {
  return {
    start: 'ask_order',
    sessionTtlMinutes: ttl,
    triggers: { keywords: [keyword] },
    nodes: [
      {
        id: 'ask_order', type: 'question', text: `Orders (${variant}): what is your order number (6 digits)?`, validate: { kind: 'regex', pattern: '^\\d{6}$' },
        saveAs: 'order_id', retryText: 'An order number has 6 digits, like 123456', next: 'order_route', onInvalid: 'agent',
      },
      { id: 'order_route', type: 'condition', branches: [{ when: { var: 'order_id', op: 'contains', value: '9' }, next: 'delayed' }], else: 'order_template' },
      { id: 'delayed', type: 'message', text: 'Order {{order_id}} is delayed; a person will look into it.', next: 'agent' },
      { id: 'order_template', type: 'template', template: 'order_update', language: 'en', parameters: { body: ['{{order_id}}'] }, next: 'menu_again' },
      {
        id: 'menu_again', type: 'message', text: 'Anything else?',
        buttons: [{ id: 'another', title: 'Another order', next: 'ask_order' }, { id: 'done', title: 'No, thanks', next: 'bye' }], retryText: 'Please tap a button', onInvalid: 'bye',
      },
      { id: 'bye', type: 'end', text: 'Thanks for shopping with us.' },
      { id: 'agent', type: 'handoff', text: 'Connecting you to our order team...' },
    ],
  };
}

function feedback(variant: number, keyword: string, ttl: number): FlowDefinition {
  return {
    start: 'intro',
    sessionTtlMinutes: ttl,
    triggers: { keywords: [keyword] },
    nodes: [
      { id: 'intro', type: 'message', text: `Quick survey (${variant}): two questions, one minute.`, next: 'ask_rating' },
      {
        id: 'ask_rating', type: 'question', text: 'From 1 to 5, how was your experience?', validate: { kind: 'number', min: 1, max: 5 },
        saveAs: 'rating', retryText: 'Please answer with a number from 1 to 5', maxAttempts: 2, next: 'rating_route', onInvalid: 'bye',
      },
      {
        id: 'rating_route', type: 'condition',
        branches: [{ when: { var: 'rating', op: '<=', value: 2 }, next: 'ask_reason' }, { when: { var: 'rating', op: '>=', value: 4 }, next: 'ask_review' }],
        else: 'thanks',
      },
      { id: 'ask_reason', type: 'question', text: 'Sorry to hear that. What went wrong?', validate: { kind: 'text', min: 3, max: 500 }, saveAs: 'reason', next: 'agent' },
      {
        id: 'ask_review', type: 'message', text: 'Would you leave us a public review?',
        buttons: [{ id: 'yes', title: 'Sure', next: 'review_link' }, { id: 'no', title: 'No, thanks', next: 'thanks' }], retryText: 'Please tap a button', onInvalid: 'thanks',
      },
      { id: 'review_link', type: 'message', text: 'Thank you! https://www.example.com/review', next: 'thanks' },
      { id: 'thanks', type: 'end', text: 'Thanks for your feedback.' },
      { id: 'bye', type: 'end', text: 'No problem, thanks anyway.' },
      { id: 'agent', type: 'handoff', text: 'A manager will contact you.' },
    ],
  };
}

function booking(variant: number, keyword: string, ttl: number): FlowDefinition {
  return {
    start: 'ask_service',
    sessionTtlMinutes: ttl,
    triggers: { keywords: [keyword] },
    nodes: [
      {
        id: 'ask_service', type: 'message', text: `Bookings (${variant}): which service?`,
        list: { button: 'Services', sections: [{ rows: [
          { id: 'haircut', title: 'Haircut', next: 'ask_day' }, { id: 'color', title: 'Color', next: 'ask_day' },
          { id: 'nails', title: 'Nails', next: 'ask_day' }, { id: 'massage', title: 'Massage', next: 'ask_day' }, { id: 'other', title: 'Something else', next: 'agent' },
        ] }] },
        retryText: 'Please pick a service from the list', onInvalid: 'agent',
      },
      {
        id: 'ask_day', type: 'question', text: 'Which day works for you (Monday to Friday)?',
        validate: { kind: 'choice', options: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'] }, saveAs: 'day', retryText: 'Please answer with a weekday, like Tuesday', next: 'ask_time', onInvalid: 'agent',
      },
      {
        id: 'ask_time', type: 'message', text: 'Which time of day?',
        buttons: [{ id: 'morning', title: 'Morning', next: 'confirm' }, { id: 'afternoon', title: 'Afternoon', next: 'confirm' }, { id: 'evening', title: 'Evening', next: 'confirm' }],
        retryText: 'Please tap a button', onInvalid: 'agent',
      },
      {
        id: 'confirm', type: 'message', text: 'Book it for {{day}}?',
        buttons: [{ id: 'ok', title: 'Confirm', next: 'booked' }, { id: 'change', title: 'Change day', next: 'ask_day' }], retryText: 'Please tap a button', onInvalid: 'agent',
      },
      { id: 'booked', type: 'template', template: 'appointment_confirmation', language: 'en', next: 'done' },
      { id: 'done', type: 'end', text: 'See you on {{day}}!' },
      { id: 'agent', type: 'handoff', text: 'Our front desk will help you.' },
    ],
  };
}

/** The main menu: every row jumps to another flow's published version (ids known once created). */
export function mainMenu(targets: { sales: string; support: string; orders: string; feedback: string; booking: string }): FlowDefinition {
  return {
    start: 'welcome',
    sessionTtlMinutes: 1440,
    triggers: { keywords: ['menu', 'hi', 'hello'] },
    nodes: [
      {
        id: 'welcome', type: 'message', text: 'Hi {{contact.name}}! What would you like to do?',
        list: { button: 'Menu', sections: [{ rows: [
          { id: 'sales', title: 'Shop', next: 'go_sales' }, { id: 'support', title: 'Support', next: 'go_support' },
          { id: 'orders', title: 'My orders', next: 'go_orders' }, { id: 'booking', title: 'Book a visit', next: 'go_booking' },
          { id: 'feedback', title: 'Give feedback', next: 'go_feedback' }, { id: 'human', title: 'Talk to a person', next: 'agent' },
        ] }] },
        retryText: 'Please pick an option from the menu', maxAttempts: 3, onInvalid: 'agent',
      },
      { id: 'go_sales', type: 'jump', flow: targets.sales },
      { id: 'go_support', type: 'jump', flow: targets.support },
      { id: 'go_orders', type: 'jump', flow: targets.orders },
      { id: 'go_booking', type: 'jump', flow: targets.booking },
      { id: 'go_feedback', type: 'jump', flow: targets.feedback },
      { id: 'agent', type: 'handoff', text: 'Connecting you to a person...' },
    ],
  };
}

const SHAPES: Exclude<FlowShape, 'menu'>[] = ['lead', 'support', 'order', 'feedback', 'booking'];
/** Flows 1, 2 and 6 get a second version, published half way through the history. */
const TWO_VERSIONS = new Set([1, 2, 6]);

/** Flows 1 to 19 (the menu, flow 0, is built by `mainMenu` once their ids are known). */
export function benchFlowSpecs(): BenchFlowSpec[] {
  const specs: BenchFlowSpec[] = [];
  for (let index = 1; index < 20; index++) {
    const shape = SHAPES[(index - 1) % SHAPES.length]!;
    const variant = Math.floor((index - 1) / SHAPES.length) + 1;
    const keyword = `${shape}${variant}`;
    const ttl = TTLS[index % TTLS.length]!;
    const build = (version: number): FlowDefinition => {
      switch (shape) {
        case 'lead':
          return lead(variant, keyword, ttl, version);
        case 'support':
          return support(variant, keyword, ttl, version);
        case 'order':
          return order(variant, keyword, ttl);
        case 'feedback':
          return feedback(variant, keyword, ttl);
        case 'booking':
          return booking(variant, keyword, ttl);
      }
    };
    const versions = TWO_VERSIONS.has(index) ? [build(1), build(2)] : [build(1)];
    specs.push({ index, name: `${shape[0]!.toUpperCase()}${shape.slice(1)} ${variant}`, shape, keyword, ttlMinutes: ttl, versions });
  }
  return specs;
}
