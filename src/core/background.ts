/** Where a background task's failure is told: the platform's logger, in production. */
export type ReportError = (what: string, error: unknown) => void;

/**
 * Runs a task nobody awaits (fire and forget) so that its failure is reported, never an unhandled
 * rejection: in a server that runs hostile code, an unhandled rejection is a way to end the process.
 */
export function background(task: Promise<unknown> | (() => Promise<unknown>), what: string, report: ReportError): void {
  let promise: Promise<unknown>;
  try {
    promise = typeof task === 'function' ? task() : task;
  } catch (error) {
    report(what, error);
    return;
  }
  promise.catch((error: unknown) => report(what, error));
}
