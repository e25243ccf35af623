import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `<state dir>/demo.json`: what `npm start` in local mode leaves for people and for `npm run chat`
 * (credentials shown once, the addresses of the running app and of its fake Graph API). Secrets the
 * app runs with stay in dev.env. Kept apart from local-demo.ts so the chat does not load the ORM.
 */
export interface DemoFile {
  apiKey?: string;
  password?: string;
  /** The app's base URL. */
  url?: string;
  /** The in-process fake Graph API, whose GET /_fake/sent shows the bot's replies; null without one. */
  fakeGraphUrl?: string | null;
  channel?: { phoneNumberId: string; wabaId: string; displayPhoneNumber: string };
}

export const demoFilePath = (stateDir: string) => path.join(stateDir, 'demo.json');

/** The file's content, or {} when it is missing or unreadable (the next start rewrites it). */
export function readDemoFile(stateDir: string): DemoFile {
  const file = demoFilePath(stateDir);
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DemoFile;
  } catch {
    return {};
  }
}
