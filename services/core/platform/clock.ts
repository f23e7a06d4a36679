/** The time source; tests pass a fixed clock instead of mocking Date. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
