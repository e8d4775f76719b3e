export * from './begin-record.js';
export * from './record-header.js';
export * from './stream-head.js';
export { walkRecords, type WalkedRecord } from './walk-records.js';
