/** Time source injected everywhere time matters, so tests can drive it. */
export interface Clock {
  now(): number;
}

/** FunctionConfiguration.LastModified as AWS formats it: `2020-04-10T19:06:32.563+0000`. */
export function awsTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
