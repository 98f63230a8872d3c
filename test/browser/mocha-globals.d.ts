// The few mocha globals the browser tests use (web-test-runner provides mocha at run time;
// declaring them here avoids a dependency on @types/mocha).
declare function describe(title: string, body: () => void): void;
declare function it(title: string, body: () => void | Promise<void>): void;
declare function beforeEach(body: () => void | Promise<void>): void;
declare function afterEach(body: () => void | Promise<void>): void;
