import { route, type Route } from './http.js';
import type { Services } from './services.js';

/** GetAccountSettings: the account's quotas and what its functions use of them. */
export function accountRoutes(s: Services): Route[] {
  return [
    route('GET', '/2016-08-19/account-settings', 'GetAccountSettings', () => {
      const all = s.registry.list(undefined, Number.MAX_SAFE_INTEGER).functions;
      return {
        status: 200,
        body: {
          // Quotas from https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
          AccountLimit: {
            TotalCodeSize: 80_530_636_800,
            CodeSizeUnzipped: 262_144_000,
            CodeSizeZipped: 52_428_800,
            ConcurrentExecutions: s.accountConcurrency,
            UnreservedConcurrentExecutions: s.accountConcurrency - s.registry.reservedTotal(),
          },
          AccountUsage: { TotalCodeSize: all.reduce((sum, r) => sum + r.codeSize, 0), FunctionCount: all.length },
        },
      };
    }),
  ];
}
