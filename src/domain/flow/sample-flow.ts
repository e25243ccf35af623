import { type FlowDefinition } from './flow-definition';

/**
 * The demo organization's flow (seeded by `npm start`, tried with `npm run chat`): DESIGN.md
 * section 11's example grown to use every node type and every answer validator. The template node
 * sends the demo seed's approved `welcome_back` template (one positional body value). The http
 * node's host does not exist, so the demo shows its `onError` path unless the URL is pointed at a
 * real service.
 */
export const SAMPLE_FLOW: FlowDefinition = {
  start: 'welcome',
  sessionTtlMinutes: 1440,
  triggers: { keywords: ['menu', 'hi', 'demo'] },
  nodes: [
    {
      id: 'welcome',
      type: 'message',
      text: 'Hi {{contact.name}}! How can we help?',
      buttons: [
        { id: 'sales', title: 'Sales', next: 'ask_name' },
        { id: 'support', title: 'Support', next: 'support_menu' },
        { id: 'orders', title: 'Order status', next: 'ask_order' },
      ],
      retryText: 'Please tap one of the buttons',
      maxAttempts: 3,
      onInvalid: 'agent',
    },

    // Sales: a few questions, then a condition picks the route.
    {
      id: 'ask_name',
      type: 'question',
      text: 'Great! What is your name?',
      validate: { kind: 'text', min: 2, max: 60 },
      saveAs: 'name',
      retryText: 'Please type your name (2 to 60 characters)',
      next: 'ask_email',
    },
    {
      id: 'ask_email',
      type: 'question',
      text: 'Thanks {{name}}. What is your email?',
      validate: { kind: 'email' },
      saveAs: 'email',
      retryText: 'That does not look like an email, try again',
      maxAttempts: 3,
      next: 'ask_team_size',
      onInvalid: 'agent',
    },
    {
      id: 'ask_team_size',
      type: 'question',
      text: 'How many people on your team will use it?',
      validate: { kind: 'number', min: 1, max: 100000 },
      saveAs: 'team_size',
      retryText: 'Please answer with a number, like 12',
      next: 'route',
    },
    {
      id: 'route',
      type: 'condition',
      branches: [
        {
          when: {
            any: [
              { var: 'email', op: 'contains', value: '@bigco.com' },
              {
                all: [
                  { var: 'team_size', op: '>=', value: 50 },
                  { var: 'email', op: 'not_in', value: ['test@example.com'] },
                ],
              },
            ],
          },
          next: 'vip',
        },
      ],
      else: 'thanks',
    },
    { id: 'vip', type: 'set', var: 'tier', value: 'vip', next: 'vip_template' },
    { id: 'vip_template', type: 'template', template: 'welcome_back', language: 'en', parameters: { body: ['{{name}}'] }, next: 'agent' },
    {
      id: 'thanks',
      type: 'message',
      media: { kind: 'image', link: 'https://www.example.com/demo/welcome.png', caption: 'Thanks {{name}}, here is our product tour.' },
      next: 'goodbye',
    },
    { id: 'goodbye', type: 'end', text: 'Thanks, we will write to {{email}} soon.' },

    // Support: a list, then a question per topic.
    {
      id: 'support_menu',
      type: 'message',
      text: 'What do you need help with?',
      list: {
        button: 'Topics',
        sections: [
          {
            title: 'Account',
            rows: [
              { id: 'billing', title: 'Plans and billing', description: 'Prices, invoices, upgrades', next: 'ask_plan' },
              { id: 'callback', title: 'Call me back', description: 'A person calls you', next: 'ask_phone' },
            ],
          },
          {
            title: 'Technical',
            rows: [
              { id: 'ticket', title: 'An existing ticket', next: 'ask_ticket' },
              { id: 'other', title: 'Something else', next: 'agent' },
            ],
          },
        ],
      },
      retryText: 'Please pick a topic from the list',
      onInvalid: 'agent',
    },
    {
      id: 'ask_plan',
      type: 'question',
      text: 'Which plan are you on: Basic, Pro or Enterprise?',
      validate: { kind: 'choice', options: ['Basic', 'Pro', 'Enterprise'] },
      saveAs: 'plan',
      retryText: 'Please answer Basic, Pro or Enterprise',
      next: 'plan_route',
      onInvalid: 'agent',
    },
    {
      id: 'plan_route',
      type: 'condition',
      branches: [{ when: { var: 'plan', op: '==', value: 'Enterprise' }, next: 'agent' }],
      else: 'plan_info',
    },
    { id: 'plan_info', type: 'message', text: 'The {{plan}} plan is billed monthly; you can change it at any time.', next: 'menu_again' },
    {
      id: 'ask_phone',
      type: 'question',
      text: 'Which number should we call? Include the country code, like +1 415 555 0100.',
      validate: { kind: 'phone' },
      saveAs: 'callback_phone',
      retryText: 'Please type a phone number with its country code',
      next: 'phone_noted',
    },
    { id: 'phone_noted', type: 'message', text: 'We will call you at +{{callback_phone}} within a working day.', next: 'bye' },
    {
      id: 'ask_ticket',
      type: 'question',
      text: 'What is your ticket number? It looks like ABC-1234.',
      validate: { kind: 'regex', pattern: '^[A-Za-z]{3}-\\d{4}$' },
      saveAs: 'ticket',
      retryText: 'A ticket number is three letters, a dash and four digits, like ABC-1234',
      next: 'ticket_noted',
      onInvalid: 'agent',
    },
    { id: 'ticket_noted', type: 'message', text: 'Thanks, an agent will pick up ticket {{ticket}}.', next: 'agent' },

    // Orders: an HTTP lookup whose failure hands off.
    {
      id: 'ask_order',
      type: 'question',
      text: 'What is your order number (6 digits)?',
      validate: { kind: 'regex', pattern: '^\\d{6}$' },
      saveAs: 'order_id',
      retryText: 'An order number has 6 digits, like 123456',
      next: 'lookup_order',
      onInvalid: 'agent',
    },
    {
      id: 'lookup_order',
      type: 'http',
      method: 'GET',
      url: 'https://orders.demo.invalid/orders/{{order_id}}',
      headers: { Accept: 'application/json' },
      saveAs: 'order',
      timeoutMs: 5000,
      next: 'order_status',
      onError: 'order_failed',
    },
    { id: 'order_status', type: 'message', text: 'Order {{order_id}} is {{order.status}}.', next: 'menu_again' },
    { id: 'order_failed', type: 'message', text: 'Sorry, we could not look up order {{order_id}} right now.', next: 'agent' },

    // Shared endings.
    {
      id: 'menu_again',
      type: 'message',
      text: 'Anything else?',
      buttons: [
        { id: 'menu', title: 'Main menu', next: 'back_to_menu' },
        { id: 'done', title: 'No, thanks', next: 'bye' },
      ],
      retryText: 'Please tap Main menu or No, thanks',
      onInvalid: 'bye',
    },
    { id: 'back_to_menu', type: 'jump', to: 'welcome' },
    { id: 'bye', type: 'end', text: 'Thanks for chatting with us. Type menu to start again.' },
    { id: 'agent', type: 'handoff', text: 'Connecting you to a person...' },
  ],
};
