import { app } from './app';

export { Directory } from './directory/directory';
export { KeyObject } from './key-object/key-object';

export default app;
