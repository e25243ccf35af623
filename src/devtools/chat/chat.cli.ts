import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { ChatClient, checkService } from './chat-client';
import { ChatSetupError, DEFAULT_CUSTOMER, resolveAppSecret, resolveTarget } from './chat-config';
import { ChatSession } from './chat-session';

/**
 * `npm run chat`: talk to the demo bot of a running `npm start` from the terminal, as the demo
 * customer. Asks nothing: the service's address and the webhook secret come from `.local/` (see
 * chat-config.ts). Typed lines go out as signed inbound webhooks; the bot's replies are read from
 * the app's fake Graph API. `/quit`, Ctrl-C or Ctrl-D leaves.
 */

function fail(error: unknown): never {
  const message = error instanceof ChatSetupError ? error.message : `chat: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`\n${message}\n`);
  process.exit(1);
}

const HELP = `usage: npm run chat [-- --from DIGITS --name NAME]
  --from   the customer's WhatsApp number, in digits (default ${DEFAULT_CUSTOMER.waId}); a new one starts a new conversation
  --name   the customer's profile name (default ${DEFAULT_CUSTOMER.name})
Talks to the service npm start runs (PORT, default 4000; LOCAL_STATE_DIR, default .local).`;

async function main() {
  let values;
  try {
    ({ values } = parseArgs({ options: { from: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    throw new ChatSetupError(`${error instanceof Error ? error.message : String(error)}\n${HELP}`);
  }
  if (values.help) {
    console.log(HELP);
    return;
  }
  const target = resolveTarget(process.env, { waId: values.from, name: values.name });
  const { customer } = target;
  await checkService(target);
  const client = new ChatClient(target, resolveAppSecret(process.env, target.stateDir));

  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: tty, prompt: 'you: ' });
  // Replies arrive while the user may be typing: print them above the prompt and redraw what was typed.
  const print = (lines: string[]) => {
    if (tty) {
      readline.clearLine(process.stdout, 0);
      readline.cursorTo(process.stdout, 0);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    if (tty) rl.prompt(true);
  };
  const session = new ChatSession(client, print, (error) => {
    session.stop();
    fail(error);
  });

  process.stdout.write(
    [
      `Chatting with the demo bot of ${target.displayPhoneNumber} at ${target.appUrl} (local mode: replies come from its fake Graph API).`,
      `You are ${customer.name} (+${customer.waId}). Type a message and press Enter; type a number to pick a choice; /quit to leave.`,
      '',
    ].join('\n') + '\n',
  );

  let leaving = false;
  // Lines are handled one at a time, in order, and only once the session knows the earlier replies
  // (readline reads at once: lines typed or piped in meanwhile wait here, they are not lost).
  let pending = Promise.resolve();
  const enqueue = (work: () => Promise<unknown>) => {
    pending = pending.then(work).then(
      () => undefined,
      (error: unknown) => {
        session.stop();
        fail(error);
      },
    );
  };
  enqueue(async () => {
    await session.start();
    if (tty) rl.prompt();
  });
  const quit = () => {
    if (leaving) return;
    leaving = true;
    // Lines typed just before leaving are still sent.
    enqueue(async () => {
      session.stop();
      process.stdout.write('\nbye\n');
      process.exit(0);
    });
  };

  rl.on('line', (line) => {
    if (leaving) return;
    if (line.trim() === '/quit') return quit();
    enqueue(async () => {
      await session.send(line);
      if (tty && !leaving) rl.prompt();
    });
  });
  rl.on('SIGINT', quit);
  rl.on('close', quit);
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
}

main().catch(fail);
