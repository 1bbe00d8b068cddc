/**
 * The server's last line of defence. Function code is hostile and every path it can reach is meant to
 * catch its own errors; should one escape anyway (an unhandled rejection, an exception thrown from a
 * callback), Node's default is to end the process — every function on the host down with it, and any
 * async event in flight re-run on restart, possibly into the same bug. Instead, the error is logged with
 * its stack and the server keeps serving. Installed by `selfless serve`, not by createPlatform: a library
 * embedding the platform (or a test runner) keeps its own policy.
 */
export function installProcessGuard(log: (message: string, error: unknown) => void): () => void {
  const onRejection = (reason: unknown) => log('BUG: unhandled promise rejection (still serving)', reason);
  const onException = (error: Error) => log('BUG: uncaught exception (still serving)', error);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
