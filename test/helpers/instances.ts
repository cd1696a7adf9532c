/**
 * `LocksFile` instances a test opens on the path it chose, each closed after the test
 * whatever happened (an instance left open would keep its locks for the next test).
 */
import { afterEach } from '@jest/globals';
import { LocksFile, type LocksFileOptions } from 'locksfile';

/**
 * Registers an `afterEach` that closes every instance opened through the returned
 * function; `pathOf` is read at each open (the test's current lock path).
 */
export function useLocksFiles(pathOf: () => string): (options?: LocksFileOptions) => LocksFile {
  const opened: LocksFile[] = [];
  afterEach(() => {
    for (const lf of opened.splice(0)) lf.close();
  });
  return (options) => {
    const lf = new LocksFile(pathOf(), options);
    opened.push(lf);
    return lf;
  };
}
