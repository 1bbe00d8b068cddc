export * from './errors.js';
export * from './arn.js';
export * from './background.js';
export * from './body.js';
export * from './clock.js';
export * from './config.js';
export * from './ids.js';
export * from './types.js';
