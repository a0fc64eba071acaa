import { app } from './app';

export { AuditLog } from './audit/audit-log';
export { Directory } from './directory/directory';
export { KeyObject } from './key-object/key-object';

export default app;
