import { smokeSuite } from './smoke';

smokeSuite('embedded');
