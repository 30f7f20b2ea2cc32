import { LOG_CAPTURE_ENV, newCaptureFile } from './log-capture';

/** Runs once before the suite: every test file appends what it prints to this file (see capture-logs.setup). */
export default function globalSetup(): void {
  process.env[LOG_CAPTURE_ENV] = newCaptureFile();
}
