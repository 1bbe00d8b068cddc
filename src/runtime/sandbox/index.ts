export { closeInheritedDescriptors } from './descriptors.js';
export { detectIsolation, type IsolationChoice } from './detect.js';
export type { Isolation, IsolationReport } from './isolation.js';
export { PlainProcesses } from './plain.js';
