import { smokeSuite } from './smoke';

smokeSuite('server');
