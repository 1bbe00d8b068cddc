export { closeInheritedDescriptors } from './descriptors.js';
export { detectIsolation, PlainProcesses, type Isolation, type IsolationChoice, type IsolationReport } from './isolation.js';
